/**
 * The chart's CRD is the generated one (same as crds/), lives in templates/ behind crds.enabled, and
 * survives `helm uninstall` while crds.keep is on.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CHART_CRD_TEMPLATE, chartCrdTemplate } from "../../hack/chart-crd.js";
import { webAppCrd } from "../../src/api/crd.js";
import { parseYamlStream } from "../../src/util/yaml.js";
import { CHART, findObject, ROOT, renderChart } from "./support/helm.js";

const crdName = "webapps.webapp-operator.dev";

describe("the chart's CRD", () => {
  it("is the generated template, up to date with src/api", () => {
    expect(readFileSync(join(ROOT, CHART_CRD_TEMPLATE), "utf8")).toBe(chartCrdTemplate());
  });

  it("is a template, not in the chart's crds/ folder that helm never upgrades", () => {
    expect(CHART_CRD_TEMPLATE.startsWith("charts/webapp-operator/templates/")).toBe(true);
    expect(existsSync(join(CHART, "crds"))).toBe(false);
  });

  it("renders exactly the CRD of crds/, with the chart's labels and the keep annotation", () => {
    const crd = findObject(renderChart(), "CustomResourceDefinition", crdName);
    const [fromCrdsDir] = parseYamlStream(
      readFileSync(join(ROOT, "crds", "webapp-operator.dev_webapps.yaml"), "utf8"),
    ) as { spec: unknown; metadata: { labels: Record<string, string> } }[];
    expect(crd?.spec).toEqual(fromCrdsDir!.spec);
    expect(crd?.spec).toEqual((webAppCrd() as { spec: unknown }).spec);
    expect(crd?.metadata.labels).toMatchObject(fromCrdsDir!.metadata.labels);
    expect(crd?.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("Helm");
    expect(crd?.metadata.annotations).toEqual({ "helm.sh/resource-policy": "keep" });
  });

  it("drops the keep annotation only when crds.keep is false", () => {
    const crd = findObject(renderChart({ set: ["crds.keep=false"] }), "CustomResourceDefinition", crdName);
    expect(crd).toBeDefined();
    expect(crd?.metadata.annotations).toBeUndefined();
  });

  it("is left out with crds.enabled=false, the rest of the chart unchanged", () => {
    const without = renderChart({ set: ["crds.enabled=false"] });
    const full = renderChart();
    expect(findObject(without, "CustomResourceDefinition")).toBeUndefined();
    expect(without.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
      full.filter((o) => o.kind !== "CustomResourceDefinition").map((o) => `${o.kind}/${o.metadata.name}`),
    );
  });
});
