import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { CustomResourceDefinition } from "kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { validateHttpRoute } from "./gateway-api.js";

type Validatable = { validate(): void };
// biome-ignore lint/suspicious/noExplicitAny: the models take their own typed shapes; objects here are plain data
type ModelClass = new (data: any) => Validatable;

const MODELS: Record<string, ModelClass> = {
  "v1/ConfigMap": ConfigMap,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "networking.k8s.io/v1/Ingress": Ingress,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "batch/v1/Job": Job,
  "batch/v1/CronJob": CronJob,
  // The Helm chart's kinds.
  "v1/ServiceAccount": ServiceAccount,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
  "apiextensions.k8s.io/v1/CustomResourceDefinition": CustomResourceDefinition,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
};

/**
 * Validates an object against the upstream Kubernetes OpenAPI schema of its kind (shipped by
 * kubernetes-models; ServiceMonitor by the Prometheus Operator's CRD schema; HTTPRoute by the Gateway
 * API's published CRD, through the embedded API server's CRD validation). Throws with the schema's
 * message, or for a kind this project never renders.
 */
export function validateAgainstKubernetesSchema(obj: { apiVersion: string; kind: string }): void {
  if (`${obj.apiVersion}/${obj.kind}` === "gateway.networking.k8s.io/v1/HTTPRoute") {
    validateHttpRoute(obj);
    return;
  }
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) throw new Error(`no upstream schema registered for ${obj.apiVersion} ${obj.kind}`);
  new Model(structuredClone(obj)).validate();
}
