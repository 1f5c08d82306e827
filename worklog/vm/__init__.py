"""VM snapshots, each action logged: the layer above the log store.

base (values, the `Hypervisor` protocol, its errors), factory (URIs and the connections
the use cases receive), libvirt_backend, libvirt_host, libvirt_errors and libvirt_xml
(libvirt), fake (an in-memory hypervisor), records (an action's entry), tasks (what it
served), usecase (what the use cases share: the record checked to fit before libvirt is
asked), actions (snap, revert, delete), preflight (refusals before any change), retention
and prune (`prune`), listing (`snaps`: libvirt joined with the log) and audit
(`snaps --audit`).
"""
