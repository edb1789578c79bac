// What the containers find at run time: a writable HOME (Gunicorn 25 and later write ~/.gunicorn,
// which fails on a read-only root filesystem when HOME is /), and a preStop delay that needs no
// program from the image (distroless images have no `sleep`).
import { describe, expect, it } from "vitest";
import { type KubeObject, render } from "../../src/render/index.js";
import { validWebApp } from "../fixtures/webapps.js";

// biome-ignore lint/suspicious/noExplicitAny: tests read deep into rendered plain data
type Any = any;

const app = { image: "registry.example.com/shop:1.4.2", module: "shop.wsgi:application" };

const podSpec = (objects: KubeObject[], name: string): Any =>
  (objects.find((o) => o.kind === "Deployment" && o.metadata.name === name) as Any).spec.template.spec;

/** Whether `path` lies on a writable volume mount of the container (the root filesystem is read-only). */
function writable(container: Any, path: string): boolean {
  expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
  return (container.volumeMounts ?? []).some(
    (m: Any) =>
      !m.readOnly && (path === m.mountPath || path.startsWith(`${m.mountPath.replace(/\/$/, "")}/`)),
  );
}

describe("the app container's HOME", () => {
  it.each([
    ["gunicorn", { ...app }],
    ["uwsgi", { ...app, server: "uwsgi" }],
    [
      "command",
      { image: app.image, server: "command", command: ["waitress-serve", "shop.wsgi:application"] },
    ],
  ])("%s: HOME is a writable directory", (_server, appSpec) => {
    const container = podSpec(render(validWebApp({ app: appSpec, web: {} })).objects, "shop-app")
      .containers[0];
    const home = (container.env ?? []).find((e: Any) => e.name === "HOME");
    expect(home?.value).toMatch(/^\//);
    expect(writable(container, home.value)).toBe(true);
  });

  it("a HOME the user sets wins, and is not given twice", () => {
    const container = podSpec(
      render(validWebApp({ app: { ...app, env: [{ name: "HOME", value: "/home/app" }] }, web: {} })).objects,
      "shop-app",
    ).containers[0];
    expect(container.env.filter((e: Any) => e.name === "HOME")).toEqual([
      { name: "HOME", value: "/home/app" },
    ]);
  });
});

describe("the preStop delay", () => {
  const webapp = validWebApp({ app, web: {} });

  it("is the pod lifecycle's sleep action on both tiers, needing nothing from the image", () => {
    const { objects } = render(webapp);
    for (const name of ["shop-app", "shop-web"]) {
      const preStop = podSpec(objects, name).containers[0].lifecycle.preStop;
      expect(preStop, name).toEqual({ sleep: { seconds: 5 } });
    }
  });

  it("falls back to running `sleep` from the image on clusters without the sleep action", () => {
    const { objects } = render(webapp, { lifecycleSleepAction: false });
    for (const name of ["shop-app", "shop-web"]) {
      expect(podSpec(objects, name).containers[0].lifecycle.preStop, name).toEqual({
        exec: { command: ["sleep", "5"] },
      });
    }
  });
});

describe("volumes the tiers share", () => {
  it("the web and app pods have one fsGroup (the app's), checked at the claim's top only", () => {
    const { objects } = render(
      validWebApp({ app: { ...app, runAsUser: 20001 }, web: {}, media: { size: "1Gi" } }),
    );
    const web = podSpec(objects, "shop-web").securityContext;
    const appPod = podSpec(objects, "shop-app").securityContext;
    expect(web).toMatchObject({ runAsUser: 101, fsGroup: 20001, fsGroupChangePolicy: "OnRootMismatch" });
    expect(appPod).toMatchObject({ runAsUser: 20001, fsGroup: 20001, fsGroupChangePolicy: "OnRootMismatch" });
  });

  it("a static site's web pods keep their own group", () => {
    const { objects } = render(validWebApp({ web: {}, static: { persistentVolumeClaim: { size: "1Gi" } } }));
    expect(podSpec(objects, "shop-web").securityContext).toMatchObject({ runAsUser: 101, fsGroup: 101 });
  });
});
