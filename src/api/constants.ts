/** Identity of the WebApp custom resource. */
export const GROUP = "webapp-operator.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = "WebApp";
export const LIST_KIND = "WebAppList";
export const PLURAL = "webapps";
export const SINGULAR = "webapp";
export const SHORT_NAMES = ["wa"];
export const CATEGORIES = ["webapps", "all"];

/**
 * The longest WebApp name: children are named `<name>-nginx`, `<name>-media`, ... and Service names
 * must be DNS-1035 labels of at most 63 characters, so the longest suffix (6) is kept free.
 */
export const MAX_NAME_LENGTH = 57;
