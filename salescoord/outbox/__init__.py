"""The email outbox (R20, R21, R32): every email the service sends, from its words to its delivery.

- `wording`: subject, plain text and HTML of each kind of email, and nothing else;
- `summaries`: a meeting's summary as each recipient may see it, queued with its audit event;
- `queue`: the `emails` table as a queue, written in the transaction of the change that causes
  an email, claimed and marked by the worker;
- `delivery`: the worker that sends due emails over SMTP, with retries and leases;
- `password_links`: the set-password links written into an email as it is sent, never stored.
"""
