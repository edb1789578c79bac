/**
 * The checks of the `restricted` Pod Security Standard (Kubernetes docs, "Pod Security Standards",
 * profile Restricted, plus Baseline which it includes) applied to a pod spec. Returns the violations.
 */
// biome-ignore lint/suspicious/noExplicitAny: walks plain rendered data
export function restrictedViolations(pod: any): string[] {
  const out: string[] = [];
  const psc = pod.securityContext ?? {};
  const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) out.push("host namespaces");
  const allowedVolumes = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
  ];
  for (const v of pod.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== "name");
    if (!type || !allowedVolumes.includes(type)) out.push(`volume ${v.name} of type ${type}`);
  }
  const seccompOk = (sc: { seccompProfile?: { type?: string } } | undefined) =>
    ["RuntimeDefault", "Localhost"].includes(sc?.seccompProfile?.type ?? "");
  if (psc.runAsUser === 0) out.push("pod runAsUser 0");
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) out.push(`${c.name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${c.name}: allowPrivilegeEscalation must be false`);
    if (!(sc.runAsNonRoot === true || (sc.runAsNonRoot === undefined && psc.runAsNonRoot === true))) {
      out.push(`${c.name}: runAsNonRoot must be true`);
    }
    if (sc.runAsUser === 0) out.push(`${c.name}: runAsUser 0`);
    if (!seccompOk(sc) && !seccompOk(psc))
      out.push(`${c.name}: seccompProfile must be RuntimeDefault or Localhost`);
    const drop: string[] = sc.capabilities?.drop ?? [];
    if (!drop.includes("ALL")) out.push(`${c.name}: capabilities must drop ALL`);
    const add: string[] = sc.capabilities?.add ?? [];
    if (add.some((cap) => cap !== "NET_BIND_SERVICE"))
      out.push(`${c.name}: adds capabilities ${add.join(",")}`);
    for (const p of c.ports ?? []) if (p.hostPort) out.push(`${c.name}: hostPort`);
  }
  return out;
}
