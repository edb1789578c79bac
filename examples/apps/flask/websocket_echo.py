"""A one-message WebSocket echo, so tests can prove that a proxy passes the Upgrade
handshake through to a real WSGI server.

WSGI has no WebSocket API. Under uWSGI the server's own websocket functions are used;
under Gunicorn the view takes over the raw client socket Gunicorn exposes as
environ["gunicorn.socket"] (sync workers), speaks RFC 6455 itself and then tells Gunicorn
to close the connection without writing a response. One message per connection keeps a
sync worker busy only for a moment. Other servers get 501.
"""

import base64
import hashlib
import struct

from flask import Response, jsonify

ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_PAYLOAD = 64 * 1024
SOCKET_TIMEOUT_SECONDS = 10
OPCODE_TEXT, OPCODE_BINARY, OPCODE_CLOSE = 0x1, 0x2, 0x8
CLOSE_NORMAL = struct.pack("!H", 1000)


class FinishedResponse(Response):
    """Stands in for the response once the view has spoken to the client itself.

    It must be a flask.Response: Flask would run any other WSGI callable inside the view
    to turn it into a response, and the hand-over below has to happen in the server's call.
    """

    def __init__(self, finish):
        super().__init__()
        self._finish = finish

    def __call__(self, environ, start_response):
        return self._finish()


def handle(environ):
    """Returns an error response, or a FinishedResponse for a connection already served."""
    if environ.get("HTTP_UPGRADE", "").lower() != "websocket":
        return error_response("400 Bad Request", "expected a request with Upgrade: websocket")
    key = environ.get("HTTP_SEC_WEBSOCKET_KEY")
    if not key:
        return error_response("400 Bad Request", "header Sec-WebSocket-Key is required")
    if "uwsgi.version" in environ:
        return echo_with_uwsgi()
    raw = environ.get("gunicorn.socket")
    if raw is not None:
        return echo_on_raw_socket(raw, key)
    return error_response("501 Not Implemented", "websockets need Gunicorn (sync worker) or uWSGI")


def error_response(status, message):
    response = jsonify(error=message)
    response.status = status
    return response


def echo_with_uwsgi():
    import uwsgi  # only importable inside a uWSGI worker

    uwsgi.websocket_handshake()
    message = uwsgi.websocket_recv()
    uwsgi.websocket_send(message)

    # The handshake already sent the 101 headers; uWSGI ends the request on an empty body.
    return FinishedResponse(lambda: [])


def echo_on_raw_socket(sock, key):
    sock.settimeout(SOCKET_TIMEOUT_SECONDS)
    accept = base64.b64encode(hashlib.sha1(key.encode() + ACCEPT_GUID).digest()).decode()
    sock.sendall(
        (
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
        ).encode()
    )
    try:
        opcode, payload = read_frame(sock)
        if opcode in (OPCODE_TEXT, OPCODE_BINARY):
            sock.sendall(encode_frame(opcode, payload))
        sock.sendall(encode_frame(OPCODE_CLOSE, CLOSE_NORMAL))
    except (OSError, ValueError):
        pass  # the client went away or broke the protocol; the connection is closed either way

    return FinishedResponse(close_without_response)


def close_without_response():
    # Gunicorn's sync worker treats StopIteration as "close the connection, write nothing".
    raise StopIteration("websocket finished")


def read_exact(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ValueError("connection closed mid-frame")
        data += chunk
    return data


def read_frame(sock):
    first, second = read_exact(sock, 2)
    opcode = first & 0x0F
    if not first & 0x80:
        raise ValueError("fragmented frames are not supported")
    if not second & 0x80:
        raise ValueError("client frames must be masked")
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", read_exact(sock, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", read_exact(sock, 8))
    if length > MAX_PAYLOAD:
        raise ValueError(f"frame larger than {MAX_PAYLOAD} bytes")
    mask = read_exact(sock, 4)
    payload = read_exact(sock, length)
    return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def encode_frame(opcode, payload):
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    return header + payload

