"""Mail: the user's SMTP relay settings, drafts, and sending through the relay on an explicit POST.

Nothing is imported here, so that the settings loader can use :mod:`.crypto` without the views.
"""
