# The scenario app's tables exist only through its scenario migrations.
