/**
 * The protobuf field numbers of the messages kubectl's and Helm's typed clients send, per upstream
 * definition: the one thing about the wire format the OpenAPI definitions do not carry (the field types
 * come from the definitions, see protobuf.ts). Numbers never change upstream, so this table only grows.
 *
 *   "N name"   field N holds `name`
 *   "N name*"  a pointer in the Go type: an explicit zero, "" or false is kept (else it means "unset")
 *   ":bytes"   the map's values are bytes (base64 in JSON)
 *   "N =Type"  an embedded Go struct (`json:",inline"`): its fields belong to the enclosing object
 *
 * A message not listed here is skipped when it is empty (an unset status) and refused (415) otherwise.
 */
export const FIELD_NUMBERS: Record<string, string> = {
  "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta":
    "1 name, 2 generateName, 3 namespace, 4 selfLink, 5 uid, 6 resourceVersion, 7 generation, 8 creationTimestamp, 9 deletionTimestamp, 10 deletionGracePeriodSeconds*, 11 labels, 12 annotations, 13 ownerReferences, 14 finalizers, 17 managedFields",
  "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference":
    "1 kind, 3 name, 4 uid, 5 apiVersion, 6 controller*, 7 blockOwnerDeletion*",
  "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector": "1 matchLabels, 2 matchExpressions",
  "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement": "1 key, 2 operator, 3 values",
  "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions":
    "1 gracePeriodSeconds*, 2 preconditions, 3 orphanDependents*, 4 propagationPolicy*, 5 dryRun, 6 ignoreStoreReadErrorWithClusterBreakingPotential*",
  "io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions": "1 uid*, 2 resourceVersion*",
  "io.k8s.api.apps.v1.Deployment": "1 metadata, 2 spec, 3 status",
  "io.k8s.api.apps.v1.DeploymentSpec":
    "1 replicas*, 2 selector, 3 template, 4 strategy, 5 minReadySeconds, 6 revisionHistoryLimit*, 7 paused, 9 progressDeadlineSeconds*",
  "io.k8s.api.apps.v1.DeploymentStrategy": "1 type, 2 rollingUpdate",
  "io.k8s.api.apps.v1.RollingUpdateDeployment": "1 maxUnavailable*, 2 maxSurge*",
  "io.k8s.api.core.v1.PodTemplateSpec": "1 metadata, 2 spec",
  "io.k8s.api.core.v1.PodSpec":
    "1 volumes, 2 containers, 3 restartPolicy, 4 terminationGracePeriodSeconds*, 5 activeDeadlineSeconds*, 6 dnsPolicy, 7 nodeSelector, 8 serviceAccountName, 9 serviceAccount, 10 nodeName, 11 hostNetwork, 12 hostPID, 13 hostIPC, 14 securityContext, 15 imagePullSecrets, 16 hostname, 17 subdomain, 18 affinity, 19 schedulerName, 20 initContainers, 21 automountServiceAccountToken*, 22 tolerations, 23 hostAliases, 24 priorityClassName, 25 priority*, 26 dnsConfig, 27 shareProcessNamespace*, 28 readinessGates, 29 runtimeClassName*, 30 enableServiceLinks*, 31 preemptionPolicy*, 32 overhead, 33 topologySpreadConstraints, 34 ephemeralContainers, 35 setHostnameAsFQDN*, 36 os, 37 hostUsers*, 38 schedulingGates, 39 resourceClaims, 40 resources, 41 hostnameOverride*, 43 schedulingGroup, 44 evictionResponders",
  "io.k8s.api.core.v1.Container":
    "1 name, 2 image, 3 command, 4 args, 5 workingDir, 6 ports, 7 env, 8 resources, 9 volumeMounts, 10 livenessProbe, 11 readinessProbe, 12 lifecycle, 13 terminationMessagePath, 14 imagePullPolicy, 15 securityContext, 16 stdin, 17 stdinOnce, 18 tty, 19 envFrom, 20 terminationMessagePolicy, 21 volumeDevices, 22 startupProbe, 23 resizePolicy, 24 restartPolicy*, 25 restartPolicyRules",
  "io.k8s.api.core.v1.ContainerPort": "1 name, 2 hostPort, 3 containerPort, 4 protocol, 5 hostIP",
  "io.k8s.api.core.v1.EnvVar": "1 name, 2 value, 3 valueFrom",
  "io.k8s.api.core.v1.EnvVarSource":
    "1 fieldRef, 2 resourceFieldRef, 3 configMapKeyRef, 4 secretKeyRef, 5 fileKeyRef",
  "io.k8s.api.core.v1.ConfigMapKeySelector": "1 =LocalObjectReference, 2 key, 3 optional*",
  "io.k8s.api.core.v1.SecretKeySelector": "1 =LocalObjectReference, 2 key, 3 optional*",
  "io.k8s.api.core.v1.ObjectFieldSelector": "1 apiVersion, 2 fieldPath",
  "io.k8s.api.core.v1.EnvFromSource": "1 prefix, 2 configMapRef, 3 secretRef",
  "io.k8s.api.core.v1.ConfigMapEnvSource": "1 =LocalObjectReference, 2 optional*",
  "io.k8s.api.core.v1.SecretEnvSource": "1 =LocalObjectReference, 2 optional*",
  "io.k8s.api.core.v1.ResourceRequirements": "1 limits, 2 requests, 3 claims",
  "io.k8s.api.core.v1.VolumeMount":
    "1 name, 2 readOnly, 3 mountPath, 4 subPath, 5 mountPropagation*, 6 subPathExpr, 7 recursiveReadOnly*, 8 bindMountOptions",
  "io.k8s.api.core.v1.Service": "1 metadata, 2 spec, 3 status",
  "io.k8s.api.core.v1.ServiceSpec":
    "1 ports, 2 selector, 3 clusterIP, 4 type, 5 externalIPs, 7 sessionAffinity, 8 loadBalancerIP, 9 loadBalancerSourceRanges, 10 externalName, 11 externalTrafficPolicy, 12 healthCheckNodePort, 13 publishNotReadyAddresses, 14 sessionAffinityConfig, 17 ipFamilyPolicy*, 18 clusterIPs, 19 ipFamilies, 20 allocateLoadBalancerNodePorts*, 21 loadBalancerClass*, 22 internalTrafficPolicy*, 23 trafficDistribution*",
  "io.k8s.api.core.v1.ServicePort": "1 name, 2 protocol, 3 port, 4 targetPort, 5 nodePort, 6 appProtocol*",
  "io.k8s.api.core.v1.Secret": "1 metadata, 2 data:bytes, 3 type, 4 stringData, 5 immutable*",
  "io.k8s.api.core.v1.ConfigMap": "1 metadata, 2 data, 3 binaryData:bytes, 4 immutable*",
  "io.k8s.api.core.v1.Namespace": "1 metadata, 2 spec, 3 status",
  "io.k8s.api.core.v1.NamespaceSpec": "1 finalizers",
  "io.k8s.api.core.v1.ServiceAccount":
    "1 metadata, 2 secrets, 3 imagePullSecrets, 4 automountServiceAccountToken*",
  "io.k8s.api.core.v1.LocalObjectReference": "1 name",
  "io.k8s.api.core.v1.ObjectReference":
    "1 kind, 2 namespace, 3 name, 4 uid, 5 apiVersion, 6 resourceVersion, 7 fieldPath",
  "io.k8s.api.core.v1.ResourceQuota": "1 metadata, 2 spec, 3 status",
  "io.k8s.api.core.v1.ResourceQuotaSpec": "1 hard, 2 scopes, 3 scopeSelector",
  "io.k8s.api.core.v1.ScopeSelector": "1 matchExpressions",
  "io.k8s.api.core.v1.ScopedResourceSelectorRequirement": "1 scopeName, 2 operator, 3 values",
  "io.k8s.api.core.v1.TypedLocalObjectReference": "1 apiGroup*, 2 kind, 3 name",
  "io.k8s.api.batch.v1.Job": "1 metadata, 2 spec, 3 status",
  "io.k8s.api.batch.v1.JobSpec":
    "1 parallelism*, 2 completions*, 3 activeDeadlineSeconds*, 4 selector, 5 manualSelector*, 6 template, 7 backoffLimit*, 8 ttlSecondsAfterFinished*, 9 completionMode*, 10 suspend*, 11 podFailurePolicy, 12 backoffLimitPerIndex*, 13 maxFailedIndexes*, 14 podReplacementPolicy*, 15 managedBy*, 16 successPolicy, 17 scheduling",
  "io.k8s.api.batch.v1.CronJob": "1 metadata, 2 spec, 3 status",
  "io.k8s.api.batch.v1.CronJobSpec":
    "1 schedule, 2 startingDeadlineSeconds*, 3 concurrencyPolicy, 4 suspend*, 5 jobTemplate, 6 successfulJobsHistoryLimit*, 7 failedJobsHistoryLimit*, 8 timeZone*",
  "io.k8s.api.batch.v1.JobTemplateSpec": "1 metadata, 2 spec",
  "io.k8s.api.networking.v1.Ingress": "1 metadata, 2 spec, 3 status",
  "io.k8s.api.networking.v1.IngressSpec": "1 defaultBackend, 2 tls, 3 rules, 4 ingressClassName*",
  "io.k8s.api.networking.v1.IngressRule": "1 host, 2 =IngressRuleValue",
  "io.k8s.api.networking.v1.IngressRuleValue": "1 http",
  "io.k8s.api.networking.v1.HTTPIngressRuleValue": "1 paths",
  "io.k8s.api.networking.v1.HTTPIngressPath": "1 path, 2 backend, 3 pathType*",
  "io.k8s.api.networking.v1.IngressBackend": "3 resource, 4 service",
  "io.k8s.api.networking.v1.IngressServiceBackend": "1 name, 2 port",
  "io.k8s.api.networking.v1.ServiceBackendPort": "1 name, 2 number",
  "io.k8s.api.networking.v1.IngressTLS": "1 hosts, 2 secretName",
  "io.k8s.api.policy.v1.PodDisruptionBudget": "1 metadata, 2 spec, 3 status",
  "io.k8s.api.policy.v1.PodDisruptionBudgetSpec":
    "1 minAvailable*, 2 selector, 3 maxUnavailable*, 4 unhealthyPodEvictionPolicy*",
  "io.k8s.api.rbac.v1.Role": "1 metadata, 2 rules",
  "io.k8s.api.rbac.v1.ClusterRole": "1 metadata, 2 rules, 3 aggregationRule",
  "io.k8s.api.rbac.v1.AggregationRule": "1 clusterRoleSelectors",
  "io.k8s.api.rbac.v1.PolicyRule": "1 verbs, 2 apiGroups, 3 resources, 4 resourceNames, 5 nonResourceURLs",
  "io.k8s.api.rbac.v1.RoleBinding": "1 metadata, 2 subjects, 3 roleRef",
  "io.k8s.api.rbac.v1.ClusterRoleBinding": "1 metadata, 2 subjects, 3 roleRef",
  "io.k8s.api.rbac.v1.Subject": "1 kind, 2 apiGroup, 3 name, 4 namespace",
  "io.k8s.api.rbac.v1.RoleRef": "1 apiGroup, 2 kind, 3 name",
  "io.k8s.api.authorization.v1.SelfSubjectAccessReview": "1 metadata, 2 spec, 3 status",
  "io.k8s.api.authorization.v1.SelfSubjectAccessReviewSpec": "1 resourceAttributes, 2 nonResourceAttributes",
  "io.k8s.api.authorization.v1.SubjectAccessReview": "1 metadata, 2 spec, 3 status",
  "io.k8s.api.authorization.v1.SubjectAccessReviewSpec":
    "1 resourceAttributes, 2 nonResourceAttributes, 3 user, 4 groups, 5 extra, 6 uid",
  "io.k8s.api.authorization.v1.ResourceAttributes":
    "1 namespace, 2 verb, 3 group, 4 version, 5 resource, 6 subresource, 7 name, 8 fieldSelector, 9 labelSelector",
  "io.k8s.api.authorization.v1.NonResourceAttributes": "1 path, 2 verb",
  "io.k8s.api.authorization.v1.SelfSubjectRulesReview": "1 metadata, 2 spec, 3 status",
  "io.k8s.api.authorization.v1.SelfSubjectRulesReviewSpec": "1 namespace",
  "io.k8s.api.authorization.v1.FieldSelectorAttributes": "1 rawSelector, 2 requirements",
  "io.k8s.api.authorization.v1.LabelSelectorAttributes": "1 rawSelector, 2 requirements",
  "io.k8s.api.authentication.v1.SelfSubjectReview": "1 metadata, 2 status",
  "io.k8s.api.scheduling.v1.PriorityClass":
    "1 metadata, 2 value, 3 globalDefault, 4 description, 5 preemptionPolicy*",
  "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler": "1 metadata, 2 spec, 3 status",
  "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec":
    "1 scaleTargetRef, 2 minReplicas*, 3 maxReplicas, 4 metrics, 5 behavior",
  "io.k8s.api.autoscaling.v2.CrossVersionObjectReference": "1 kind, 2 name, 3 apiVersion",
  "io.k8s.api.autoscaling.v2.MetricSpec":
    "1 type, 2 object, 3 pods, 4 resource, 5 external, 7 containerResource",
  "io.k8s.api.autoscaling.v2.ResourceMetricSource": "1 name, 2 target",
  "io.k8s.api.autoscaling.v2.ContainerResourceMetricSource": "1 name, 2 target, 3 container",
  "io.k8s.api.autoscaling.v2.MetricTarget": "1 type, 2 value, 3 averageValue, 4 averageUtilization*",
  "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerBehavior": "1 scaleUp, 2 scaleDown",
  "io.k8s.api.autoscaling.v2.HPAScalingRules":
    "1 selectPolicy*, 2 policies, 3 stabilizationWindowSeconds*, 4 tolerance",
  "io.k8s.api.autoscaling.v2.HPAScalingPolicy": "1 type, 2 value, 3 periodSeconds",
  "io.k8s.api.core.v1.Pod": "1 metadata, 2 spec, 3 status",
};
