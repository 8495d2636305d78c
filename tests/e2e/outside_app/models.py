from django.db import models


class Parent(models.Model):
    name = models.CharField(max_length=50)
    code = models.CharField(max_length=10, default="")

    def __str__(self):
        return self.name


class Child(models.Model):
    parent = models.ForeignKey(Parent, on_delete=models.CASCADE)
    label = models.CharField(max_length=50)

    def __str__(self):
        return self.label


class ParentProxy(Parent):
    class Meta:
        proxy = True

    def __str__(self):
        return f"{self.name} (proxy)"


class Legacy(models.Model):
    """A table this app reads but does not manage (a view kept by someone else)."""

    name = models.CharField(max_length=50)

    class Meta:
        managed = False
        db_table = "outside_legacy_view"

    def __str__(self):
        return self.name
