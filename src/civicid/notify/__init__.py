"""Notifications: an outbox of SMS written in the same transaction as their cause, and gateway adapters.

A service queues a message (:func:`civicid.notify.service.queue_sms`) inside its own unit of work, so
nothing is sent for a change that was rolled back; :func:`civicid.notify.dispatcher.dispatch_pending`
later hands queued messages to an :class:`civicid.notify.ports.SmsGateway`, at least once each.
"""
