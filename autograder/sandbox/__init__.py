"""Running untrusted submissions: a bubblewrap sandbox around a fork server of pre-warmed kernels.

``bwrap.py`` builds the sandbox's command line (what the kernel may see), ``zygote.py`` is the
fork server that runs inside it (torch imported once, one forked kernel per submission),
``shim.py`` is the tiny process Jupyter starts as "the kernel" and which asks the fork server
for one, and ``kernels.py`` is the Jupyter kernel manager that wires nbclient to all this.
"""
