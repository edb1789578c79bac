// The translation from a container to a local process: paths, listen addresses, Service names, NGINX's
// config, the program and its environment. Pure functions, so every rule is checked here on its own.
import { describe, expect, it } from "vitest";
import {
  findImage,
  type ImageDefinition,
  parseImageMap,
  pullKey,
  repositoryOf,
  tagOf,
} from "../../../src/devcluster/node/image-map.js";
import {
  type CommandTranslation,
  ExecNotFoundError,
  expandVariables,
  localProcess,
  PathMap,
  parseNginxConfig,
  translateAddressToken,
  translateArgument,
  translateEnvValue,
  translateNginxConfig,
} from "../../../src/devcluster/node/translate/index.js";

const paths = new PathMap([
  { containerPath: "/app", hostPath: "/host/flask", source: "image" },
  { containerPath: "/app/staticfiles", hostPath: "/cache/static", source: "image" },
  { containerPath: "/etc/nginx", hostPath: "/etc/nginx", source: "image" },
  { containerPath: "/etc/nginx/webapp", hostPath: "/pod/config", source: "mount" },
  { containerPath: "/tmp", hostPath: "/pod/tmp", source: "mount" },
  { containerPath: "/var/www/static", hostPath: "/pod/static", source: "mount" },
]);
const listen = (port: number) => `127.1.0.7:${port}`;
const resolve = (host: string, port: number) =>
  host === "shop-app.default.svc"
    ? [`10.96.0.5:${port}`]
    : host === "multi"
      ? ["127.0.0.1:1", "127.0.0.1:2"]
      : [];

describe("PathMap", () => {
  it("takes the longest container path, a mount before the image's files, and keeps the rest", () => {
    expect(paths.toHost("/app/app.py")).toBe("/host/flask/app.py");
    expect(paths.toHost("/app/staticfiles/.")).toBe("/cache/static/.");
    expect(paths.toHost("/etc/nginx/mime.types")).toBe("/etc/nginx/mime.types");
    expect(paths.toHost("/etc/nginx/webapp/nginx.conf")).toBe("/pod/config/nginx.conf");
    expect(paths.toHost("/var/www/static/")).toBe("/pod/static/");
    expect(paths.toHost("/application")).toBeUndefined();
    expect(paths.translate("/dev/shm")).toBe("/dev/shm");
    const shadowed = new PathMap([
      { containerPath: "/data", hostPath: "/image/data", source: "image" },
      { containerPath: "/data/", hostPath: "/volume", source: "mount" },
    ]);
    expect(shadowed.toHost("/data/x")).toBe("/volume/x");
  });
});

describe("arguments and environment", () => {
  it("translates every wildcard or pod-loopback listen form to the listen mapping", () => {
    for (const token of ["0.0.0.0:8000", ":8000", "[::]:8000", "*:8000", "127.0.0.1:8000", "localhost:8000"])
      expect(translateAddressToken(token, listen), token).toBe("127.1.0.7:8000");
    expect(translateAddressToken("--bind=0.0.0.0:8000", listen)).toBe("--bind=127.1.0.7:8000");
    expect(translateAddressToken("http://localhost:8080/healthz", listen)).toBe(
      "http://127.1.0.7:8080/healthz",
    );
    for (const token of ["10.0.0.1:8000", "app:app", "8000", "mysite.wsgi:application", "unix_signal:15"])
      expect(translateAddressToken(token, listen), token).toBeUndefined();
  });

  it("translates container paths in arguments, also after --flag= and unix:", () => {
    expect(translateArgument("/app/staticfiles/.", paths, listen)).toBe("/cache/static/.");
    expect(translateArgument("--chdir=/app", paths, listen)).toBe("--chdir=/host/flask");
    expect(translateArgument("unix:/tmp/app.sock", paths, listen)).toBe("unix:/pod/tmp/app.sock");
    expect(translateArgument("/dev/shm", paths, listen)).toBe("/dev/shm");
    expect(translateArgument("app:app", paths, listen)).toBe("app:app");
  });

  it("translates env values that are absolute paths or lists of them, and nothing else", () => {
    expect(translateEnvValue("/app/staticfiles", paths)).toBe("/cache/static");
    expect(translateEnvValue("/app:/usr/lib/python3", paths)).toBe("/host/flask:/usr/lib/python3");
    expect(translateEnvValue("postgres://db/app", paths)).toBe("postgres://db/app");
    expect(translateEnvValue("hello", paths)).toBe("hello");
  });

  it("expands $(VAR) as the kubelet does", () => {
    const env: Record<string, string> = { PORT: "8000", NAME: "shop" };
    const lookup = (n: string) => env[n];
    expect(expandVariables("--bind=0.0.0.0:$(PORT)", lookup)).toBe("--bind=0.0.0.0:8000");
    expect(expandVariables("$(MISSING)-$(NAME)", lookup)).toBe("$(MISSING)-shop");
    expect(expandVariables("$$(PORT) $$ $x $(", lookup)).toBe("$(PORT) $ $x $(");
  });
});

describe("image references", () => {
  it("normalizes repositories as a container runtime does, ignoring tags and digests", () => {
    expect(repositoryOf("nginx:1.27")).toBe("docker.io/library/nginx");
    expect(repositoryOf("nginxinc/nginx-unprivileged:1.27-alpine")).toBe(
      "docker.io/nginxinc/nginx-unprivileged",
    );
    expect(repositoryOf("registry.example.com/flask-demo:1.0.0")).toBe("registry.example.com/flask-demo");
    expect(repositoryOf("localhost:5000/app@sha256:abc")).toBe("localhost:5000/app");
  });

  it("an entry with a tag stands for that tag only, before the repository's entry for any tag", () => {
    const map = parseImageMap(
      {
        images: [
          { repository: "registry.example.com/shop", filesystem: { "/app": "/srv/shop" } },
          { repository: "registry.example.com/shop", tag: "2.0.0", filesystem: { "/app": "/srv/shop-2" } },
        ],
      },
      "/",
    );
    const appDir = (image: string) => findImage(map, image)?.filesystem["/app"];
    expect(appDir("registry.example.com/shop:2.0.0")).toBe("/srv/shop-2");
    expect(appDir("registry.example.com/shop:1.0.0")).toBe("/srv/shop");
    expect(appDir("registry.example.com/shop")).toBe("/srv/shop");
    expect(appDir("registry.example.com/other:2.0.0")).toBeUndefined();
    // Pulled once per entry: the two tags are two images on the node.
    expect(pullKey(map, "registry.example.com/shop:2.0.0")).toBe("registry.example.com/shop:2.0.0");
    expect(pullKey(map, "registry.example.com/shop:1.0.0")).toBe("registry.example.com/shop");
    expect(tagOf("localhost:5000/app:v1@sha256:abc")).toBe("v1");
    expect(tagOf("localhost:5000/app")).toBeUndefined();
    expect(() => parseImageMap({ images: [{ repository: "a", tag: "not a tag" }] }, "/")).toThrow(
      "images[0].tag must be an image tag",
    );
  });

  it("refuses an image map field it does not know, naming it", () => {
    expect(() => parseImageMap({ images: [{ repository: "a", programz: {} }] }, "/")).toThrow(
      "images[0].programz is not a known field",
    );
    expect(() => parseImageMap({ images: [{ repository: "a", filesystem: { app: "x" } }] }, "/")).toThrow(
      "must be an absolute container path",
    );
  });
});

const RENDERED_LIKE = `# rendered
worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr warn;
daemon off;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    client_body_temp_path /tmp/nginx-client-body;
    proxy_temp_path /tmp/nginx-proxy 1 2;
    access_log /dev/stdout;
    access_log /tmp/extra.log combined;
    upstream webapp_app {
        server shop-app.default.svc:8000 max_fails=3;
        server multi:9000;
        server unknown.example:80;
        server 10.1.2.3:80;
    }
    server {
        listen 8080 default_server;
        listen [::]:8080 ipv6only=on default_server;
        location ^~ /static/ { alias /var/www/static/; }
        location "/a b" { root /app/public; }
        location / { proxy_pass http://webapp_app; }
        location /direct { proxy_pass http://shop-app.default.svc:8000/x; }
        location /local { proxy_pass http://127.0.0.1:9090; }
        location /var { proxy_pass http://$host\${uri}; }
    }
    server {
        listen 0.0.0.0:8081;
        listen 127.0.0.1:9000;
        location = /health { return 200 "ok; {not a block}"; }
    }
}
`;

describe("translateNginxConfig", () => {
  const translated = translateNginxConfig(RENDERED_LIKE, {
    paths,
    listen,
    resolve,
    configDir: "/etc/nginx/webapp",
  });
  const out = translated.text;

  it("parses NGINX syntax: quotes, comments, variables in braces, nested blocks", () => {
    const ds = parseNginxConfig(RENDERED_LIKE);
    const health = ds.find((d) => d.name === "return");
    expect(health?.args.map((a) => a.value)).toEqual(["200", "ok; {not a block}"]);
    expect(ds.find((d) => d.name === "alias")?.context).toEqual(["http", "server", "location"]);
    expect(() => parseNginxConfig("http { server {")).toThrow('expecting "}"');
  });

  it("translates paths but keeps stdout/stderr logs and everything else byte for byte", () => {
    expect(out).toContain("pid /pod/tmp/nginx.pid;");
    expect(out).toContain("client_body_temp_path /pod/tmp/nginx-client-body;");
    expect(out).toContain("proxy_temp_path /pod/tmp/nginx-proxy 1 2;");
    expect(out).toContain("include /etc/nginx/mime.types;");
    expect(out).toContain("alias /pod/static/;");
    expect(out).toContain("root /host/flask/public;");
    expect(out).toContain("access_log /dev/stdout;");
    expect(out).toContain("access_log /pod/tmp/extra.log combined;");
    expect(out).toContain("error_log stderr warn;");
    expect(out.startsWith("# rendered\nworker_processes 1;\n")).toBe(true);
    expect(translated.includes).toEqual(["/etc/nginx/mime.types"]);
  });

  it("moves every listen to the pod address, keeps parameters, and merges what lands on one address", () => {
    expect(out).toContain("listen 127.1.0.7:8080 default_server;");
    expect(out).not.toContain("[::]:8080");
    expect(out).not.toContain("ipv6only");
    expect(out.match(/listen 127\.1\.0\.7:8080/g)).toHaveLength(1);
    expect(out).toContain("listen 127.1.0.7:8081;");
    expect(out).toContain("listen 127.1.0.7:9000;");
  });

  it("resolves Service names in upstream servers (one name, several servers) and in proxy_pass", () => {
    expect(out).toContain("server 10.96.0.5:8000 max_fails=3;");
    expect(out).toContain("server 127.0.0.1:1;\n        server 127.0.0.1:2;");
    expect(out).toContain("server unknown.example:80;");
    expect(out).toContain("server 10.1.2.3:80;");
    expect(out).toContain("proxy_pass http://webapp_app;");
    expect(out).toContain("proxy_pass http://10.96.0.5:8000/x;");
    expect(out).toContain("proxy_pass http://127.1.0.7:9090;");
    expect(out).toContain(`proxy_pass http://$host\${uri};`);
  });

  it("adds the image's defaults a config leaves out, only for the main file", () => {
    const bare = "daemon off; events {} http { server { listen 80; } }";
    const main = translateNginxConfig(bare, {
      paths,
      listen,
      resolve,
      configDir: "/etc/nginx",
      main: true,
    }).text;
    expect(main).toMatch(/^pid \/pod\/tmp\/nginx\.pid;\n/);
    expect(main).toContain("client_body_temp_path /pod/tmp/client_temp;");
    expect(main).toContain("access_log /dev/stdout;");
    const included = translateNginxConfig(bare, { paths, listen, resolve, configDir: "/etc/nginx" }).text;
    expect(included).not.toContain("pid ");
  });
});

const FLASK_IMAGE: ImageDefinition = {
  repository: "registry.example.com/flask-demo",
  workingDir: "/app",
  filesystem: { "/app": "/host/flask" },
  programs: { gunicorn: "/usr/bin/gunicorn", uwsgi: "/usr/bin/uwsgi", nginx: "/usr/sbin/nginx" },
  programEnv: { uwsgi: { UWSGI_PLUGIN: "python3" } },
  env: { STATIC_ROOT: "/app/staticfiles", PYTHONPATH: "/app" },
  entrypoint: [],
  cmd: ["gunicorn", "app:app"],
  build: [],
};

function translation(files: Record<string, string> = {}): CommandTranslation {
  return {
    image: FLASK_IMAGE,
    paths,
    listen,
    resolve,
    readFile: (p) => files[p],
    listDir: (dir) =>
      Object.keys(files)
        .filter((f) => f.startsWith(`${dir}/`) && !f.slice(dir.length + 1).includes("/"))
        .map((f) => f.slice(dir.length + 1)),
    generatedDir: "/gen",
    scratchDir: "/scratch",
  };
}

describe("localProcess", () => {
  it("runs the image's program with translated argv, env and working directory", () => {
    const p = localProcess(
      {
        command: ["uwsgi", "--http-socket", ":8000", "--module", "app:app"],
        env: { HOME: "/app", GREETING: "hi" },
      },
      translation(),
    );
    expect(p.program).toBe("/usr/bin/uwsgi");
    expect(p.args).toEqual(["--http-socket", "127.1.0.7:8000", "--module", "app:app"]);
    expect(p.cwd).toBe("/host/flask");
    expect(p.env).toMatchObject({
      STATIC_ROOT: "/cache/static",
      PYTHONPATH: "/host/flask",
      HOME: "/host/flask",
      GREETING: "hi",
      UWSGI_PLUGIN: "python3",
    });
    expect(p.env.PATH).toContain("/usr/bin");
  });

  it("uses the image's command when the container has none, and args replace only the cmd", () => {
    expect(localProcess({ env: {} }, translation()).args).toEqual(["app:app"]);
    // As with Docker: args replace CMD, so an image without ENTRYPOINT runs the args themselves.
    expect(() => localProcess({ args: ["other:app"], env: {} }, translation())).toThrow('exec: "other:app"');
    const withEntrypoint = {
      ...translation(),
      image: { ...FLASK_IMAGE, entrypoint: ["gunicorn"], cmd: ["app:app"] },
    };
    const p = localProcess({ args: ["other:app"], env: {} }, withEntrypoint);
    expect([p.program, ...p.args]).toEqual(["/usr/bin/gunicorn", "other:app"]);
  });

  it("fails as containerd does for a command the image does not have", () => {
    expect(() => localProcess({ command: ["sh", "-c", "true"], env: {} }, translation())).toThrow(
      ExecNotFoundError,
    );
    expect(() => localProcess({ command: ["sh"], env: {} }, translation())).toThrow(
      'exec: "sh": executable file not found in $PATH',
    );
    expect(() => localProcess({ command: ["/bin/sh"], env: {} }, translation())).toThrow(
      'exec: "/bin/sh": stat /bin/sh: no such file or directory',
    );
    expect(localProcess({ command: ["/usr/local/bin/gunicorn"], env: {} }, translation()).program).toBe(
      "/usr/bin/gunicorn",
    );
  });

  it("gives NGINX a translated copy of its config and of what it includes, and -e stderr", () => {
    const files = {
      "/pod/config/nginx.conf":
        "daemon off; events {} http { include /etc/nginx/webapp/conf.d/*.conf; include mime.types; }",
      "/pod/config/conf.d/a.conf": "server { listen 8080; root /app; }",
      "/pod/config/conf.d/b.conf": "server { listen 8081; }",
      "/pod/config/mime.types": "types { text/html html; }",
    };
    const p = localProcess(
      { command: ["nginx", "-c", "/etc/nginx/webapp/nginx.conf"], env: {} },
      translation(files),
    );
    expect(p.program).toBe("/usr/sbin/nginx");
    expect(p.args[0]).toBe("-c");
    expect(p.args.slice(-2)).toEqual(["-e", "stderr"]);
    const byPath = Object.fromEntries(p.files.map((f) => [f.hostPath, f.content]));
    const main = byPath[p.args[1]!]!;
    expect(main).toContain("pid /pod/tmp/nginx.pid;");
    const glob = /include (\S+\/\*\.conf);/.exec(main)?.[1];
    expect(glob).toMatch(/^\/gen\/\d+-include\/\*\.conf$/);
    expect(byPath[glob!.replace("*.conf", "a.conf")]).toBe(
      "server { listen 127.1.0.7:8080; root /host/flask; }",
    );
    expect(byPath[glob!.replace("*.conf", "b.conf")]).toBe("server { listen 127.1.0.7:8081; }");
    expect(main).toMatch(/include \/gen\/\d+-mime\.types;/);
  });
});
