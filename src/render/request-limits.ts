/*
 * How large a request may be, agreed between NGINX and the app servers. NGINX is the one that
 * refuses (414 for a long request line, 400 "Request Header Or Cookie Too Large"), so a client gets
 * a clear answer; the app servers accept everything NGINX can pass on, plus the headers it adds.
 */
const NGINX_HEADER_BUFFERS = 4;
const NGINX_HEADER_BUFFER_KIB = 8;

export const REQUEST_LIMITS = {
  nginxHeaderBuffers: NGINX_HEADER_BUFFERS,
  nginxHeaderBufferKiB: NGINX_HEADER_BUFFER_KIB,
  /** Gunicorn's largest request line and header field (its own maximum, 8190): one NGINX buffer less CRLF. */
  appRequestLineBytes: NGINX_HEADER_BUFFER_KIB * 1024 - 2,
  /**
   * Header count (uWSGI: variables): NGINX bounds only their total size, so as many as fit in its
   * buffers at 4 bytes each (`a:` and CRLF), plus room for the CGI variables and NGINX's own headers.
   */
  appHeaderFields: (NGINX_HEADER_BUFFERS * NGINX_HEADER_BUFFER_KIB * 1024) / 4 + 256,
  /** uWSGI's request buffer: all of NGINX's header buffers, the headers NGINX adds, and room to spare (its maximum). */
  uwsgiBufferBytes: 65_535,
} as const;
