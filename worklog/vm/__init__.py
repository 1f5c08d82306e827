"""VM snapshots, each action logged: the layer above the log store.

base (values, the `Hypervisor` protocol, its errors), factory (URIs and the connections
the use cases receive), libvirt_backend and libvirt_xml (libvirt), fake (an in-memory
hypervisor), records (an action's entry), tasks (what it served), actions (snap, revert,
delete, prune: the use cases) and listing (`snaps`: libvirt joined with the log).
"""
