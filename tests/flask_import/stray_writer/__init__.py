"""A test-only app (e2e runs add it with ORB_EXTRA_APPS): a stray writer that adds a fuel ticket
whenever a weekly sounding is saved, as a badly written signal handler in some app might. The
import's check before COMMIT must notice rows it did not write, and roll everything back."""
