"""The MLLP door: HL7 v2 over TCP, acknowledged only once stored.

``header`` and ``proxy_header`` are pure codecs (the MSH fields the door needs before
the use case runs, the PROXY protocol v2 header a balancer puts first); ``replies``
turns a stored reply into the acknowledgments MSH-15/MSH-16 ask for; ``senders`` says
which facility a connection speaks for; ``group_commit`` runs ``submit_message`` for
many connections in one transaction; ``listener`` is the asyncio accept/read loop and
``node`` the processes a node runs it in.
"""
