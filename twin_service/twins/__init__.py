"""Twin state: one ``Twin`` per kit (reported / desired / delta, versions, stale marks),
the ``TwinRegistry`` that bounds how many there are, and the replica form in which a
gateway publishes a twin's state to API replicas (``replica``)."""
