/**
 * Where things live inside the NGINX container. The web Deployment mounts volumes at these paths and
 * nginx.conf refers to them; the local test harness maps them to directories of its own.
 */
export const NGINX_PATHS = {
  /** Directory of the ConfigMap volume holding nginx.conf (mounted whole: no subPath, so updates arrive). */
  configDir: "/etc/nginx/webapp",
  /** The main config file, given to `nginx -c`. */
  configFile: "/etc/nginx/webapp/nginx.conf",
  /** Shipped by every NGINX image (and Debian's package). */
  mimeTypes: "/etc/nginx/mime.types",
  /** An emptyDir: the root filesystem is read-only, so the pid file and temp files go here. */
  runtimeDir: "/tmp",
  pidFile: "/tmp/nginx.pid",
  /** Static files (an emptyDir filled by the init container, or a claim). */
  staticRoot: "/var/www/static",
  /** The uploads claim, read-only. */
  mediaRoot: "/var/www/media",
} as const;

/** The NGINX container's port; unprivileged, so not 80. */
export const WEB_PORT = 8080;

/** NGINX's own health endpoint; it never touches the app, so a slow app does not fail web probes. */
export const NGINX_HEALTH_PATH = "/nginx-health";

/** Name of the upstream block the proxy locations point at. */
export const UPSTREAM_NAME = "webapp_app";
