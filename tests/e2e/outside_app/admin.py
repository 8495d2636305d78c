from django.contrib import admin
from django.http import HttpResponseRedirect

from .models import Child, Parent


@admin.register(Parent)
class ParentAdmin(admin.ModelAdmin):
    def changelist_view(self, request, extra_context=None):
        # By design, as django CMS's page list: the list lives elsewhere.
        return HttpResponseRedirect("/elsewhere/")


@admin.register(Child)
class ChildAdmin(admin.ModelAdmin):
    pass
