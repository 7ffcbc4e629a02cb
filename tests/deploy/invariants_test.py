#!/usr/bin/python3
"""Invariants of dolmetsch's deployment files that JSON schemas cannot see.

    /usr/bin/python3 tests/deploy/invariants_test.py [-v]      (from the repository root or anywhere)

Renders k8s/overlays/local and k8s/overlays/gke (and gke with components/model-init) with
`kubectl kustomize`, reads compose.yaml, and checks what docs/deploy.md promises: every workload has
probes, requests and limits and a locked-down securityContext; images are pinned; no secret value is
committed outside the local overlay's placeholders; grace periods cover the servers' SIGTERM drain; the
NetworkPolicies let only web reach translator and database; only web is exposed; the k8s initdb copy
equals deploy/initdb. Each checker is also run on a broken document, so a checker that cannot fail is
caught. Needs python3-yaml (Debian) and kubectl; exits 77 (CTest: skipped) when either is missing.
"""
import base64
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

try:
    import yaml
except ImportError:  # pragma: no cover
    print("invariants_test: python3-yaml is not installed (apt-get install python3-yaml): skipped")
    sys.exit(77)

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
KUBECTL = shutil.which("kubectl")
SERVER_SIGTERM_GRACE_S = 25  # the translator's and web's drain after SIGTERM (their contract)
MODEL_LOAD_BUDGET_S = 120    # the startupProbe must allow at least this long for a model load
WORKLOADS = ("Deployment", "StatefulSet")
SECRETISH = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY)", re.I)


def render(overlay_dir):
    out = subprocess.run([KUBECTL, "kustomize", overlay_dir], check=True, capture_output=True, text=True)
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def pod_spec(doc):
    return doc["spec"]["template"]["spec"]


def containers(doc, init=True):
    ps = pod_spec(doc)
    return list(ps.get("containers") or []) + (list(ps.get("initContainers") or []) if init else [])


def labels_of(doc):
    return doc["spec"]["template"]["metadata"].get("labels") or {}


def component(doc):
    return labels_of(doc).get("app.kubernetes.io/component")


# ---- checkers: each returns a list of problems (strings), empty when the invariant holds -------------

def check_probes_and_resources(docs):
    bad = []
    for d in docs:
        if d["kind"] not in WORKLOADS:
            continue
        for c in containers(d, init=False):
            where = "%s/%s container %s" % (d["kind"], d["metadata"]["name"], c["name"])
            need = ("readinessProbe", "livenessProbe") + (("startupProbe",) if d["kind"] == "Deployment" else ())
            for p in need:
                if p not in c:
                    bad.append("%s: no %s" % (where, p))
        for c in containers(d):
            where = "%s/%s container %s" % (d["kind"], d["metadata"]["name"], c["name"])
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if r not in (res.get(part) or {}):
                        bad.append("%s: no resources.%s.%s" % (where, part, r))
    return bad


def parse_quantity(q):
    """CPU in cores or memory in bytes, from a Kubernetes quantity string."""
    q = str(q)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6, "G": 1e9}
    for u, f in sorted(units.items(), key=lambda kv: -len(kv[0])):
        if q.endswith(u):
            return float(q[: -len(u)]) * f
    return float(q)


def check_requests_within_limits(docs):
    bad = []
    for d in docs:
        if d["kind"] not in WORKLOADS:
            continue
        for c in containers(d):
            res = c.get("resources") or {}
            for r in ("cpu", "memory"):
                req, lim = (res.get("requests") or {}).get(r), (res.get("limits") or {}).get(r)
                if req is not None and lim is not None and parse_quantity(req) > parse_quantity(lim):
                    bad.append("%s/%s %s: %s request %s above limit %s"
                               % (d["kind"], d["metadata"]["name"], c["name"], r, req, lim))
    return bad


def image_is_pinned(ref):
    if "@sha256:" in ref:
        return True
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last:
        return False
    return last.rsplit(":", 1)[1] not in ("latest", "")


def check_images_pinned(docs):
    bad = []
    for d in docs:
        if d["kind"] not in WORKLOADS:
            continue
        for c in containers(d):
            where = "%s/%s %s" % (d["kind"], d["metadata"]["name"], c["name"])
            if not image_is_pinned(c.get("image", "")):
                bad.append("%s: image %r has no version tag or digest" % (where, c.get("image")))
            if c.get("imagePullPolicy") not in ("IfNotPresent", "Never", "Always"):
                bad.append("%s: imagePullPolicy not set explicitly" % where)
    return bad


def check_security_context(docs):
    bad = []
    for d in docs:
        if d["kind"] not in WORKLOADS:
            continue
        psc = pod_spec(d).get("securityContext") or {}
        for c in containers(d):
            where = "%s/%s %s" % (d["kind"], d["metadata"]["name"], c["name"])
            sc = c.get("securityContext") or {}
            if not (sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True):
                bad.append("%s: runAsNonRoot is not true" % where)
            uid = sc.get("runAsUser", psc.get("runAsUser"))
            if uid is None or uid == 0:
                bad.append("%s: no numeric non-zero runAsUser" % where)
            if sc.get("readOnlyRootFilesystem") is not True:
                bad.append("%s: readOnlyRootFilesystem is not true" % where)
            if sc.get("allowPrivilegeEscalation") is not False:
                bad.append("%s: allowPrivilegeEscalation is not false" % where)
            if sc.get("privileged"):
                bad.append("%s: privileged" % where)
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                bad.append("%s: capabilities not dropped (drop: [ALL])" % where)
            if (sc.get("capabilities") or {}).get("add"):
                bad.append("%s: adds capabilities" % where)
    return bad


def check_no_secret_values(docs, placeholders_allowed):
    """No Secret carries a real value; credentials reach containers only as files or secretKeyRefs."""
    bad = []
    for d in docs:
        if d["kind"] == "Secret":
            if not placeholders_allowed:
                bad.append("Secret/%s: committed Secret object (create it with kubectl create secret)"
                           % d["metadata"]["name"])
                continue
            values = {k: base64.b64decode(v).decode() for k, v in (d.get("data") or {}).items()}
            values.update(d.get("stringData") or {})
            for k, v in values.items():
                if SECRETISH.search(k) and "PLACEHOLDER" not in v:
                    bad.append("Secret/%s: key %s is not an obvious PLACEHOLDER value" % (d["metadata"]["name"], k))
        if d["kind"] in WORKLOADS:
            for c in containers(d):
                for e in c.get("env") or []:
                    if SECRETISH.search(e["name"]) and "value" in e and not e["name"].endswith("_FILE"):
                        bad.append("%s/%s %s: env %s has a literal value"
                                   % (d["kind"], d["metadata"]["name"], c["name"], e["name"]))
        if d["kind"] == "ConfigMap":
            for k, v in (d.get("data") or {}).items():
                if re.search(r"IDENTIFIED\s+BY\s+'[^']+'", str(v), re.I):
                    bad.append("ConfigMap/%s: key %s holds a password" % (d["metadata"]["name"], k))
    return bad


def prestop_sleep_s(c):
    cmd = (((c.get("lifecycle") or {}).get("preStop") or {}).get("exec") or {}).get("command") or []
    if len(cmd) == 2 and cmd[0] == "sleep":
        return int(cmd[1])
    return 0


def check_grace_periods(docs):
    """Pods of our own servers get preStop + the server's drain before SIGKILL; the translator's
    startupProbe allows a model load."""
    bad = []
    for d in docs:
        if d["kind"] != "Deployment":
            continue
        ps = pod_spec(d)
        grace = ps.get("terminationGracePeriodSeconds", 30)
        for c in containers(d, init=False):
            need = prestop_sleep_s(c) + SERVER_SIGTERM_GRACE_S
            if grace < need:
                bad.append("Deployment/%s: terminationGracePeriodSeconds %d < preStop %d + drain %d"
                           % (d["metadata"]["name"], grace, prestop_sleep_s(c), SERVER_SIGTERM_GRACE_S))
            if prestop_sleep_s(c) == 0:
                bad.append("Deployment/%s %s: no preStop sleep (requests race endpoint removal)"
                           % (d["metadata"]["name"], c["name"]))
            if component(d) == "translator":
                sp = c.get("startupProbe") or {}
                budget = sp.get("periodSeconds", 10) * sp.get("failureThreshold", 3)
                if budget < MODEL_LOAD_BUDGET_S:
                    bad.append("Deployment/%s: startupProbe allows %d s, model load needs %d"
                               % (d["metadata"]["name"], budget, MODEL_LOAD_BUDGET_S))
                if ((sp.get("httpGet") or {}).get("path")) != "/ready":
                    bad.append("Deployment/%s: startupProbe must wait for /ready (model loaded)" % d["metadata"]["name"])
            if ((c.get("readinessProbe") or {}).get("httpGet") or {}).get("path") != "/ready":
                bad.append("Deployment/%s: readinessProbe is not GET /ready" % d["metadata"]["name"])
            if ((c.get("livenessProbe") or {}).get("httpGet") or {}).get("path") != "/health":
                bad.append("Deployment/%s: livenessProbe is not GET /health" % d["metadata"]["name"])
    return bad


def selects(sel, labels):
    return all(labels.get(k) == v for k, v in (sel.get("matchLabels") or {}).items())


def check_network_policies(docs):
    """Default deny; translator and db admit only web pods; web is the only externally exposed Service."""
    bad = []
    pols = [d for d in docs if d["kind"] == "NetworkPolicy"]
    work = {component(d): d for d in docs if d["kind"] in WORKLOADS}
    if not any(p["spec"].get("podSelector") == {} and "Ingress" in p["spec"].get("policyTypes", [])
               and not p["spec"].get("ingress") for p in pols):
        bad.append("no default-deny ingress NetworkPolicy")
    web_labels = labels_of(work["web"]) if "web" in work else {}
    for comp in ("translator", "db"):
        if comp not in work:
            bad.append("no %s workload" % comp)
            continue
        mine = [p for p in pols if p["spec"].get("podSelector", {}).get("matchLabels")
                and selects(p["spec"]["podSelector"], labels_of(work[comp]))]
        if not mine:
            bad.append("no NetworkPolicy selects %s" % comp)
        for p in mine:
            for rule in p["spec"].get("ingress") or []:
                peers = rule.get("from")
                if not peers:
                    bad.append("NetworkPolicy/%s admits %s traffic from anywhere" % (p["metadata"]["name"], comp))
                for peer in peers or []:
                    ps = peer.get("podSelector")
                    if set(peer) != {"podSelector"} or ps is None or not ps.get("matchLabels") \
                            or not selects(ps, web_labels) or ps["matchLabels"].get("app.kubernetes.io/component") != "web":
                        bad.append("NetworkPolicy/%s admits a peer other than web into %s: %s"
                                   % (p["metadata"]["name"], comp, peer))
    for s in docs:
        if s["kind"] == "Service" and s["spec"].get("type") in ("NodePort", "LoadBalancer"):
            if s["spec"].get("selector", {}).get("app.kubernetes.io/component") != "web":
                bad.append("Service/%s exposes a non-web component" % s["metadata"]["name"])
    for i in docs:
        if i["kind"] == "Ingress":
            backends = [((r.get("backend") or {}).get("service") or {}).get("name")
                        for rule in i["spec"].get("rules") or [] for r in (rule.get("http") or {}).get("paths") or []]
            if i["spec"].get("defaultBackend"):
                backends.append(i["spec"]["defaultBackend"]["service"]["name"])
            for b in backends:
                if b != "web":
                    bad.append("Ingress/%s routes to %s" % (i["metadata"]["name"], b))
    return bad


def check_scaling_objects(docs):
    bad = []
    hpas = [d for d in docs if d["kind"] == "HorizontalPodAutoscaler"]
    if not any(h["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "translator"}
               for h in hpas):
        bad.append("no HorizontalPodAutoscaler for Deployment/translator")
    for h in hpas:
        if h["spec"].get("minReplicas", 1) > h["spec"]["maxReplicas"]:
            bad.append("HPA/%s: minReplicas above maxReplicas" % h["metadata"]["name"])
    pdb_sel = [d["spec"]["selector"] for d in docs if d["kind"] == "PodDisruptionBudget"]
    for d in docs:
        if d["kind"] == "Deployment" and not any(selects(s, labels_of(d)) for s in pdb_sel):
            bad.append("Deployment/%s has no PodDisruptionBudget" % d["metadata"]["name"])
    for d in docs:
        if d["kind"] == "Deployment":
            ru = (d["spec"].get("strategy") or {}).get("rollingUpdate") or {}
            if ru.get("maxUnavailable", "25%") not in (0, "0", "0%"):
                bad.append("Deployment/%s: a rollout may drop ready pods (maxUnavailable != 0)" % d["metadata"]["name"])
    return bad


def check_database(docs):
    bad = []
    sts = [d for d in docs if d["kind"] == "StatefulSet"]
    if len(sts) != 1:
        return ["expected one StatefulSet (the database), found %d" % len(sts)]
    s = sts[0]
    if not s["spec"].get("volumeClaimTemplates"):
        bad.append("StatefulSet/%s has no volumeClaimTemplates" % s["metadata"]["name"])
    svc = [d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == s["spec"].get("serviceName")]
    if not svc or svc[0]["spec"].get("clusterIP") != "None":
        bad.append("StatefulSet/%s: serviceName is not a headless Service" % s["metadata"]["name"])
    mounts = {m["mountPath"]: m["name"] for c in containers(s) for m in c.get("volumeMounts") or []}
    vols = {v["name"]: v for v in pod_spec(s).get("volumes") or []}
    init = vols.get(mounts.get("/docker-entrypoint-initdb.d"), {})
    if "configMap" not in init:
        bad.append("StatefulSet/%s: no ConfigMap mounted at /docker-entrypoint-initdb.d" % s["metadata"]["name"])
    return bad


# ---- the tests ------------------------------------------------------------------------------------------

def broken(docs, kind, name, mutate):
    out = copy.deepcopy(docs)
    for d in out:
        if d["kind"] == kind and d["metadata"]["name"] == name:
            mutate(d)
    return out


@unittest.skipIf(KUBECTL is None, "kubectl not found")
class RenderedOverlays(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.local = render(os.path.join(ROOT, "k8s/overlays/local"))
        cls.gke = render(os.path.join(ROOT, "k8s/overlays/gke"))
        with tempfile.TemporaryDirectory() as tmp:  # gke + model-init, as docs/deploy.md describes it
            shutil.copytree(os.path.join(ROOT, "k8s"), os.path.join(tmp, "k8s"))
            with open(os.path.join(tmp, "k8s/overlays/gke/kustomization.yaml"), "a") as f:
                f.write("components:\n  - ../../components/model-init\n")
            cls.gke_init = render(os.path.join(tmp, "k8s/overlays/gke"))
        cls.all = {"local": cls.local, "gke": cls.gke, "gke+model-init": cls.gke_init}

    def each(self, checker, *args):
        for name, docs in self.all.items():
            with self.subTest(overlay=name):
                self.assertEqual(checker(docs, *args), [])

    def test_probes_and_resources(self):
        self.each(check_probes_and_resources)
        bad = broken(self.local, "Deployment", "translator",
                     lambda d: pod_spec(d)["containers"][0].pop("startupProbe"))
        self.assertIn("no startupProbe", " ".join(check_probes_and_resources(bad)))
        bad = broken(self.local, "StatefulSet", "db",
                     lambda d: pod_spec(d)["containers"][0]["resources"].pop("limits"))
        self.assertIn("no resources.limits.cpu", " ".join(check_probes_and_resources(bad)))

    def test_requests_within_limits(self):
        self.each(check_requests_within_limits)
        bad = broken(self.local, "Deployment", "web",
                     lambda d: pod_spec(d)["containers"][0]["resources"]["requests"].update(memory="2Gi"))
        self.assertEqual(len(check_requests_within_limits(bad)), 1)

    def test_images_pinned(self):
        self.each(check_images_pinned)
        for ref, ok in (("mysql:8.4", True), ("mysql", False), ("mysql:latest", False),
                        ("localhost:5000/dolmetsch", False), ("localhost:5000/dolmetsch:1.2", True),
                        ("r.io/a/b@sha256:" + "0" * 64, True)):
            self.assertEqual(image_is_pinned(ref), ok, ref)
        bad = broken(self.gke, "Deployment", "web", lambda d: pod_spec(d)["containers"][0].update(image="x/y"))
        self.assertEqual(len(check_images_pinned(bad)), 1)

    def test_gke_images_come_from_a_registry(self):
        for d in self.gke:
            if d["kind"] == "Deployment":
                for c in containers(d):
                    self.assertIn("/", c["image"].split(":")[0], c["image"])
                    self.assertFalse(c["image"].startswith("localhost/"), c["image"])

    def test_security_context(self):
        self.each(check_security_context)
        bad = broken(self.local, "Deployment", "translator",
                     lambda d: pod_spec(d)["containers"][0]["securityContext"].update(readOnlyRootFilesystem=False))
        self.assertEqual(len(check_security_context(bad)), 1)
        bad = broken(self.local, "Deployment", "web", lambda d: pod_spec(d).pop("securityContext"))
        self.assertIn("runAsNonRoot", " ".join(check_security_context(bad)))

    def test_no_secret_values(self):
        self.assertEqual(check_no_secret_values(self.local, placeholders_allowed=True), [])
        self.assertEqual(check_no_secret_values(self.gke, placeholders_allowed=False), [])
        self.assertEqual(check_no_secret_values(self.gke_init, placeholders_allowed=False), [])
        # the local overlay is the only one with a Secret, and it must be there (secretGenerator)
        self.assertTrue(any(d["kind"] == "Secret" for d in self.local))
        self.assertFalse(any(d["kind"] == "Secret" for d in self.gke))
        bad = broken(self.local, "Deployment", "web", lambda d: pod_spec(d)["containers"][0]["env"].append(
            {"name": "DB_PASSWORD", "value": "hunter2"}))
        self.assertEqual(len(check_no_secret_values(bad, True)), 1)
        secret = next(d for d in self.local if d["kind"] == "Secret")
        bad = broken(self.local, "Secret", secret["metadata"]["name"],
                     lambda d: d["data"].update(password="aHVudGVyMg=="))
        self.assertEqual(len(check_no_secret_values(bad, True)), 1)

    def test_grace_periods_and_probe_paths(self):
        self.each(check_grace_periods)
        bad = broken(self.local, "Deployment", "translator",
                     lambda d: pod_spec(d).update(terminationGracePeriodSeconds=20))
        self.assertEqual(len(check_grace_periods(bad)), 1)
        bad = broken(self.local, "Deployment", "translator",
                     lambda d: pod_spec(d)["containers"][0]["startupProbe"].update(failureThreshold=3))
        self.assertEqual(len(check_grace_periods(bad)), 1)

    def test_network_policies(self):
        self.each(check_network_policies)
        bad = broken(self.local, "NetworkPolicy", "db-from-web",
                     lambda d: d["spec"]["ingress"][0]["from"].append({"namespaceSelector": {}}))
        self.assertEqual(len(check_network_policies(bad)), 1)
        bad = broken(self.local, "Service", "translator", lambda d: d["spec"].update(type="NodePort"))
        self.assertEqual(len(check_network_policies(bad)), 1)
        bad = [d for d in self.local if d["metadata"]["name"] != "default-deny-ingress"]
        self.assertEqual(len(check_network_policies(bad)), 1)

    def test_scaling_objects(self):
        self.each(check_scaling_objects)
        bad = [d for d in self.local if d["kind"] != "HorizontalPodAutoscaler"]
        self.assertEqual(len(check_scaling_objects(bad)), 1)

    def test_database(self):
        self.each(check_database)
        bad = broken(self.local, "StatefulSet", "db", lambda d: d["spec"].pop("volumeClaimTemplates"))
        self.assertEqual(len(check_database(bad)), 1)

    def test_gke_front_door(self):
        kinds = {d["kind"]: d for d in self.gke}
        for k in ("Ingress", "ManagedCertificate", "FrontendConfig"):
            self.assertIn(k, kinds)
        ann = kinds["Ingress"]["metadata"]["annotations"]
        self.assertIn("kubernetes.io/ingress.global-static-ip-name", ann)
        self.assertEqual(ann["networking.gke.io/managed-certificates"], kinds["ManagedCertificate"]["metadata"]["name"])
        self.assertEqual(ann["networking.gke.io/v1beta1.FrontendConfig"], kinds["FrontendConfig"]["metadata"]["name"])
        self.assertTrue(kinds["FrontendConfig"]["spec"]["redirectToHttps"]["enabled"])

    def test_model_init_component(self):
        tr = next(d for d in self.gke_init if d["kind"] == "Deployment" and d["metadata"]["name"] == "translator")
        init = pod_spec(tr)["initContainers"]
        self.assertEqual(init[0]["args"][0], "fetch-model")
        model_dir = init[0]["args"][init[0]["args"].index("--dir") + 1]
        served = pod_spec(tr)["containers"][0]["args"]
        self.assertTrue(served[served.index("--model") + 1].startswith(model_dir + "/"))
        self.assertNotIn("translator", pod_spec(tr)["containers"][0]["image"].rsplit("/", 1)[-1])


class Files(unittest.TestCase):
    def test_initdb_copy_matches(self):
        src = os.path.join(ROOT, "deploy/initdb/001-schema.sql")
        copy_ = os.path.join(ROOT, "k8s/base/initdb/001-schema.sql")
        self.assertTrue(os.path.exists(src), "deploy/initdb/001-schema.sql is missing")
        with open(src, "rb") as a, open(copy_, "rb") as b:
            self.assertEqual(a.read(), b.read(),
                             "k8s/base/initdb/001-schema.sql differs from deploy/initdb/: "
                             "run scripts/deploy-check --sync-initdb")

    def test_no_secret_files_tracked(self):
        try:
            out = subprocess.run(["git", "-C", ROOT, "ls-files", "deploy/secrets"], capture_output=True,
                                 text=True, check=True).stdout.split()
        except (OSError, subprocess.CalledProcessError):
            self.skipTest("not a git checkout")
        self.assertEqual([f for f in out if not f.endswith(".gitignore")], [])

    def test_plain_manifests_hold_no_passwords(self):
        # Outside the local overlay's secretGenerator, no manifest spells a credential.
        for root, _, names in os.walk(os.path.join(ROOT, "k8s")):
            for n in names:
                p = os.path.join(root, n)
                with open(p, encoding="utf-8") as f:
                    text = f.read()
                if p.endswith("overlays/local/kustomization.yaml"):
                    for m in re.finditer(r"^\s*-\s*([\w-]*password[\w-]*)=(.*)$", text, re.M | re.I):
                        self.assertIn("PLACEHOLDER", m.group(2), p)
                    continue
                m = re.search(r"(password|passwd)[\w-]*\s*[=:]\s*['\"]?[A-Za-z0-9]{6,}", text, re.I)
                self.assertIsNone(m, "%s: %s" % (p, m and m.group(0)))


class Compose(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(ROOT, "compose.yaml")) as f:
            cls.doc = yaml.safe_load(f)
        cls.svc = cls.doc["services"]

    def test_three_services_only_web_published(self):
        self.assertEqual(set(self.svc), {"web", "translator", "db"})
        self.assertEqual([n for n, s in self.svc.items() if s.get("ports")], ["web"])
        self.assertEqual(self.svc["db"]["image"], "mysql:8.4")

    def test_healthchecks_and_ordering(self):
        for n in ("web", "translator"):
            test = " ".join(self.svc[n]["healthcheck"]["test"])
            self.assertIn("/health", test)
            self.assertIn("/ready", test)
        self.assertIn("healthcheck", self.svc["db"])
        deps = self.svc["web"]["depends_on"]
        self.assertEqual({k: v["condition"] for k, v in deps.items()},
                         {"db": "service_healthy", "translator": "service_healthy"})

    def test_credentials_are_secret_files(self):
        self.assertTrue(all("file" in s for s in self.doc["secrets"].values()))
        for n, s in self.svc.items():
            env = s.get("environment") or {}
            for k, v in env.items():
                if SECRETISH.search(k):
                    self.assertTrue(k.endswith("_FILE") and str(v).startswith("/run/secrets/"), (n, k, v))

    def test_database_volume_and_network_isolation(self):
        self.assertIn("db-data:/var/lib/mysql", self.svc["db"]["volumes"])
        self.assertIn("db-data", self.doc["volumes"])
        internal = {n for n, net in self.doc["networks"].items() if (net or {}).get("internal")}
        for n in ("translator", "db"):
            self.assertTrue(set(self.svc[n]["networks"]) <= internal, n)

    def test_stop_grace_covers_drain(self):
        for n in ("web", "translator"):
            g = self.svc[n]["stop_grace_period"]
            self.assertGreater(int(g.rstrip("s")), SERVER_SIGTERM_GRACE_S, n)


if __name__ == "__main__":
    if KUBECTL is None:
        print("invariants_test: kubectl not found: the rendered-overlay tests are skipped")
    unittest.main(verbosity=2 if "-v" in sys.argv else 1)
