"""Notifications: the in-app inbox, and the outbox that delivers by e-mail or webhook."""
