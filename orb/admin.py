from django.contrib import admin

admin.site.site_header = "Oil Record Book"
admin.site.site_title = "ORB"
admin.site.index_title = "Engine room records"
admin.site.site_url = "/dashboard/"
