"""Work around uvicorn issue #3149 in the benchmark's "2 workers, fixed" row only.

With ``--workers N`` uvicorn binds the listening socket itself with ``proto`` left at 0, so
asyncio never sets TCP_NODELAY on accepted connections, and every keep-alive response after
the first waits ~40 ms for the client's delayed ACK. Relabelling the socket as IPPROTO_TCP
(what ``--workers 1`` gets from getaddrinfo) restores TCP_NODELAY. benchmarks/endpoints.py
puts this folder on PYTHONPATH for that one server, to show what the fix is worth.
"""

import socket

try:
    import uvicorn.config
except ImportError:  # a server that is not uvicorn: nothing to fix
    pass
else:
    _bind_socket = uvicorn.config.Config.bind_socket

    def _bind_tcp_socket(self: uvicorn.config.Config) -> socket.socket:
        sock = _bind_socket(self)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, sock.detach())
        return sock

    uvicorn.config.Config.bind_socket = _bind_tcp_socket  # type: ignore[method-assign]
