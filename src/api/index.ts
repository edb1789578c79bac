export * from "./constants.js";
export { describeErrors, type FieldError, type ParseResult, parseWebApp } from "./parse.js";
export { defaultWorkers, type ResolvedSpec, resolveSpec } from "./resolve.js";
export {
  type IngressHost,
  type PublicHost,
  publicHosts,
  type ResolvedHttpRoute,
  type ResolvedIngress,
  servesHttps,
} from "./resolve-exposure.js";
export type { AppSpec } from "./spec/app.js";
export type { GatewayParentRef, HttpRouteSpec, IngressSpec, ServiceSpec } from "./spec/exposure.js";
export { OPERATOR_ANNOTATIONS } from "./spec/ingress-annotations.js";
export type { MediaSpec, StaticSpec } from "./spec/storage.js";
export type { WebSpec } from "./spec/web.js";
export type { WebAppSpec } from "./spec/webapp-spec.js";
export type { Condition, WebAppStatus } from "./status.js";
export type { WebApp } from "./webapp.js";
