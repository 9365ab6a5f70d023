package io.piddm.it.deploy;

import static io.piddm.it.deploy.DeployFiles.DEPLOY;
import static io.piddm.it.deploy.DeployFiles.at;
import static io.piddm.it.deploy.DeployFiles.list;
import static io.piddm.it.deploy.DeployFiles.map;
import static io.piddm.it.deploy.DeployFiles.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.piddm.it.deploy.DeployFiles.KnownMetric;
import io.piddm.it.deploy.DeployFiles.PanelQuery;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads every YAML file under {@code deploy/} (compose, Prometheus, Grafana, Kubernetes and the
 * kustomizations) and the Grafana dashboard, and checks what a deployment needs from them: required
 * fields, files that exist, ports that agree between the services, the scrape targets and the
 * probes, and dashboard queries that only use metrics the services export. Needs no service
 * running; the last test also renders every overlay with {@code kubectl kustomize} when kubectl is
 * installed.
 */
class DeployManifestsIT {

  static final Path K8S = DEPLOY.resolve("k8s");
  static final Path COMPOSE = DEPLOY.resolve("compose.yaml");
  static final Set<String> SERVICES = Set.of("trainer", "registry", "sampler");
  static final Set<String> WORKLOADS = Set.of("Deployment", "StatefulSet", "DaemonSet");

  @Test
  void everyYamlFileParses() throws IOException {
    List<Path> files = DeployFiles.yamlFiles();
    assertThat(files).hasSizeGreaterThanOrEqualTo(15);
    for (Path file : files) {
      List<Object> documents = DeployFiles.documents(file);
      assertThat(documents).as("%s has no YAML document", DEPLOY.relativize(file)).isNotEmpty();
      assertThat(documents)
          .as("every document of %s is a mapping", DEPLOY.relativize(file))
          .allMatch(d -> d instanceof Map);
    }
  }

  // ---- Kubernetes -------------------------------------------------------------------------

  /** What the kustomizations under deploy/k8s name: resources and patches. */
  record Kustomized(Set<Path> resources, Set<Path> patches, Set<Path> other) {}

  static List<Path> kustomizations() throws IOException {
    try (Stream<Path> files = Files.walk(K8S)) {
      return files.filter(p -> p.getFileName().toString().equals("kustomization.yaml")).toList();
    }
  }

  static Kustomized kustomized() throws IOException {
    Set<Path> resources = new LinkedHashSet<>();
    Set<Path> patches = new LinkedHashSet<>();
    Set<Path> other = new LinkedHashSet<>();
    for (Path kustomization : kustomizations()) {
      Path dir = kustomization.getParent();
      Map<String, Object> k = DeployFiles.document(kustomization);
      for (Object r : list(k.get("resources"))) {
        Path p = dir.resolve(r.toString()).normalize();
        if (Files.isRegularFile(p)) {
          resources.add(p);
        }
      }
      for (Object patch : list(k.get("patches"))) {
        String path = string(patch, "path");
        if (path != null) {
          patches.add(dir.resolve(path).normalize());
        }
      }
      for (Object patch : list(k.get("patchesStrategicMerge"))) {
        patches.add(dir.resolve(patch.toString()).normalize());
      }
      for (String generators : List.of("secretGenerator", "configMapGenerator")) {
        for (Object generator : list(k.get(generators))) {
          for (String key : List.of("envs", "files")) {
            for (Object f : list(at(generator, key).orElse(null))) {
              String name = f.toString();
              other.add(dir.resolve(name.substring(name.indexOf('=') + 1)).normalize());
            }
          }
        }
      }
    }
    return new Kustomized(resources, patches, other);
  }

  @Test
  void kustomizationsNameFilesThatExistAndEveryManifestIsNamedByOne() throws IOException {
    List<Path> kustomizations = kustomizations();
    assertThat(kustomizations.stream().map(p -> K8S.relativize(p.getParent()).toString()))
        .contains(
            "base",
            "overlays/cpu",
            "overlays/gpu",
            "overlays/gpu-sampler",
            "components/external-s3",
            "components/service-monitor");
    for (Path kustomization : kustomizations) {
      Path dir = kustomization.getParent();
      String where = DEPLOY.relativize(kustomization).toString();
      Map<String, Object> k = DeployFiles.document(kustomization);
      assertThat(string(k, "apiVersion")).as(where).startsWith("kustomize.config.k8s.io/");
      assertThat(string(k, "kind")).as(where).isIn("Kustomization", "Component");
      for (String key : List.of("resources", "components")) {
        for (Object entry : list(k.get(key))) {
          Path p = dir.resolve(entry.toString()).normalize();
          assertThat(Files.isRegularFile(p) || Files.isRegularFile(p.resolve("kustomization.yaml")))
              .as("%s: %s %s is neither a file nor a kustomization folder", where, key, entry)
              .isTrue();
          if (key.equals("components")) {
            assertThat(string(DeployFiles.document(p.resolve("kustomization.yaml")), "kind"))
                .as("%s: component %s", where, entry)
                .isEqualTo("Component");
          }
        }
      }
    }
    Kustomized named = kustomized();
    for (Set<Path> files : List.of(named.resources(), named.patches(), named.other())) {
      for (Path file : files) {
        assertThat(file).as("named by a kustomization under deploy/k8s").isRegularFile();
      }
    }
    try (Stream<Path> all = Files.walk(K8S)) {
      for (Path file : all.filter(Files::isRegularFile).toList()) {
        if (file.getFileName().toString().equals("kustomization.yaml")) {
          continue;
        }
        assertThat(
                named.resources().contains(file)
                    || named.patches().contains(file)
                    || named.other().contains(file))
            .as("%s is named by no kustomization", DEPLOY.relativize(file))
            .isTrue();
      }
    }
  }

  /** The documents of every resource file a kustomization names (patches left out). */
  static List<Map<String, Object>> resources() throws IOException {
    List<Map<String, Object>> docs = new ArrayList<>();
    for (Path file : kustomized().resources()) {
      for (Object doc : DeployFiles.documents(file)) {
        docs.add(map(doc));
      }
    }
    return docs;
  }

  @Test
  void everyManifestAndPatchHasApiVersionKindAndName() throws IOException {
    Kustomized named = kustomized();
    List<Path> files = new ArrayList<>(named.resources());
    files.addAll(named.patches());
    assertThat(files).hasSizeGreaterThanOrEqualTo(8);
    for (Path file : files) {
      for (Object doc : DeployFiles.documents(file)) {
        String where = DEPLOY.relativize(file).toString();
        assertThat(string(doc, "apiVersion")).as("%s: apiVersion", where).isNotBlank();
        assertThat(string(doc, "kind")).as("%s: kind", where).isNotBlank();
        assertThat(string(doc, "metadata", "name")).as("%s: metadata.name", where).isNotBlank();
      }
    }
  }

  static Map<String, Object> podSpec(Map<String, Object> workload) {
    return map(at(workload, "spec", "template", "spec").orElse(null));
  }

  @Test
  void everyContainerHasAnImagePortsProbesAndResources() throws IOException {
    int containers = 0;
    for (Map<String, Object> doc : resources()) {
      if (!WORKLOADS.contains(string(doc, "kind"))) {
        continue;
      }
      String workload = string(doc, "kind") + "/" + string(doc, "metadata", "name");
      Map<String, Object> template = map(at(doc, "spec", "template").orElse(null));
      Map<String, Object> selector = map(at(doc, "spec", "selector", "matchLabels").orElse(null));
      assertThat(map(at(template, "metadata", "labels").orElse(null)))
          .as("%s: the pod labels match the selector", workload)
          .containsAllEntriesOf(selector);
      for (Object c : list(podSpec(doc).get("containers"))) {
        containers++;
        String where = workload + " container " + string(c, "name");
        assertThat(string(c, "image")).as("%s: image", where).isNotBlank();
        List<Object> ports = list(at(c, "ports").orElse(null));
        assertThat(ports).as("%s: ports", where).isNotEmpty();
        Set<String> portRefs = new HashSet<>();
        for (Object port : ports) {
          assertThat(at(port, "containerPort")).as("%s: containerPort", where).isPresent();
          portRefs.add(string(port, "containerPort"));
          at(port, "name").ifPresent(n -> portRefs.add(n.toString()));
        }
        for (String probe : List.of("readinessProbe", "livenessProbe")) {
          assertThat(at(c, probe)).as("%s: %s", where, probe).isPresent();
          Optional<Object> port =
              at(c, probe, "httpGet", "port").or(() -> at(c, probe, "tcpSocket", "port"));
          port.ifPresent(
              p -> assertThat(portRefs).as("%s: %s port", where, probe).contains(p.toString()));
        }
        assertThat(string(c, "resources", "requests", "cpu"))
            .as("%s: cpu request", where)
            .isNotNull();
        assertThat(string(c, "resources", "requests", "memory"))
            .as("%s: memory request", where)
            .isNotNull();
        assertThat(string(c, "resources", "limits", "memory"))
            .as("%s: memory limit", where)
            .isNotNull();

        if (string(c, "image").startsWith("piddm/")) {
          assertThat(string(c, "readinessProbe", "httpGet", "path"))
              .as("%s: readiness", where)
              .isEqualTo("/q/health/ready");
          assertThat(string(c, "livenessProbe", "httpGet", "path"))
              .as("%s: liveness", where)
              .isEqualTo("/q/health/live");
          Map<String, Object> annotations =
              map(at(template, "metadata", "annotations").orElse(null));
          assertThat(annotations)
              .as("%s: Prometheus scrape annotations", where)
              .containsEntry("prometheus.io/scrape", "true")
              .containsEntry("prometheus.io/path", "/q/metrics");
          assertThat(containerPort(c, "http"))
              .as("%s: prometheus.io/port is the http port", where)
              .hasToString(String.valueOf(annotations.get("prometheus.io/port")));
          assertThat(containerPort(c, "grpc")).as("%s: a grpc port", where).isNotNull();
        }
      }
    }
    assertThat(containers).isGreaterThanOrEqualTo(4);
  }

  static Object containerPort(Object container, String name) {
    for (Object port : list(at(container, "ports").orElse(null))) {
      if (name.equals(string(port, "name"))) {
        return at(port, "containerPort").orElse(null);
      }
    }
    return null;
  }

  @Test
  void servicesSelectPodsAndTheSamplerIsScaledBehindAHeadlessService() throws IOException {
    List<Map<String, Object>> docs = resources();
    Map<String, Map<String, Object>> workloads = new LinkedHashMap<>();
    for (Map<String, Object> doc : docs) {
      if (WORKLOADS.contains(string(doc, "kind"))) {
        workloads.put(string(doc, "metadata", "name"), doc);
      }
    }
    assertThat(workloads).containsKeys("trainer", "registry", "sampler", "minio");
    int services = 0;
    for (Map<String, Object> doc : docs) {
      if (!"Service".equals(string(doc, "kind"))) {
        continue;
      }
      services++;
      String service = "Service/" + string(doc, "metadata", "name");
      Map<String, Object> selector = map(at(doc, "spec", "selector").orElse(null));
      assertThat(selector).as("%s: selector", service).isNotEmpty();
      List<Map<String, Object>> selected =
          workloads.values().stream()
              .filter(
                  w ->
                      map(at(w, "spec", "template", "metadata", "labels").orElse(null))
                          .entrySet()
                          .containsAll(selector.entrySet()))
              .toList();
      assertThat(selected).as("%s selects one workload's pods", service).hasSize(1);
      Object container = list(podSpec(selected.get(0)).get("containers")).get(0);
      for (Object port : list(at(doc, "spec", "ports").orElse(null))) {
        Object target = at(port, "targetPort").orElse(at(port, "port").orElse(null));
        boolean matches =
            list(at(container, "ports").orElse(null)).stream()
                .anyMatch(
                    p ->
                        target.toString().equals(string(p, "name"))
                            || target.toString().equals(string(p, "containerPort")));
        assertThat(matches).as("%s: targetPort %s is a container port", service, target).isTrue();
      }
    }
    assertThat(services).isGreaterThanOrEqualTo(4);

    Map<String, Object> samplerService =
        docs.stream()
            .filter(d -> "Service".equals(string(d, "kind")))
            .filter(d -> "sampler".equals(string(d, "metadata", "name")))
            .findFirst()
            .orElseThrow();
    assertThat(string(samplerService, "spec", "clusterIP"))
        .as("the sampler's Service is headless, for client-side gRPC load balancing")
        .isEqualTo("None");
    assertThat((Integer) at(workloads.get("sampler"), "spec", "replicas").orElse(1))
        .as("sampler replicas")
        .isGreaterThanOrEqualTo(2);
    for (Map<String, Object> doc : docs) {
      if ("HorizontalPodAutoscaler".equals(string(doc, "kind"))) {
        assertThat(string(doc, "spec", "scaleTargetRef", "name")).isIn(workloads.keySet());
        assertThat((Integer) at(doc, "spec", "minReplicas").orElse(1)).isGreaterThanOrEqualTo(2);
      }
    }
  }

  @Test
  void theGpuOverlaysAskForOneNvidiaGpu() throws IOException {
    assertThat(gpuRequest(K8S.resolve("overlays/gpu/trainer-gpu.yaml"), "trainer")).isEqualTo(1);
    assertThat(gpuRequest(K8S.resolve("overlays/gpu-sampler/sampler-gpu.yaml"), "sampler"))
        .isEqualTo(1);
    for (Map<String, Object> doc : resources()) {
      for (Object c : list(podSpec(doc).get("containers"))) {
        assertThat(at(c, "resources", "limits", "nvidia.com/gpu"))
            .as("the base is CPU only: %s", string(c, "name"))
            .isEmpty();
      }
    }
  }

  static Object gpuRequest(Path patch, String container) {
    for (Object c : list(podSpec(DeployFiles.document(patch)).get("containers"))) {
      if (container.equals(string(c, "name"))) {
        assertThat(at(c, "resources", "requests", "nvidia.com/gpu"))
            .isEqualTo(at(c, "resources", "limits", "nvidia.com/gpu"));
        return at(c, "resources", "limits", "nvidia.com/gpu").orElse(null);
      }
    }
    throw new AssertionError(patch + " does not patch container " + container);
  }

  // ---- compose ----------------------------------------------------------------------------

  static Map<String, Object> composeServices() {
    return map(DeployFiles.document(COMPOSE).get("services"));
  }

  /** "H:C", "IP:H:C" or "C" (and "/tcp"): the container port. */
  static int containerPortOf(String spec) {
    String[] parts = spec.replaceAll("/\\w+$", "").split(":");
    return Integer.parseInt(parts[parts.length - 1]);
  }

  static Integer hostPortOf(String spec) {
    String[] parts = spec.replaceAll("/\\w+$", "").split(":");
    return parts.length < 2 ? null : Integer.parseInt(parts[parts.length - 2]);
  }

  @Test
  void composeServicesHaveImagesPortsAndTheFilesTheyMount() throws IOException {
    Map<String, Object> compose = DeployFiles.document(COMPOSE);
    Map<String, Object> services = composeServices();
    assertThat(services.keySet())
        .contains("trainer", "registry", "sampler", "minio", "prometheus", "grafana");
    Set<String> volumes = map(compose.get("volumes")).keySet();
    for (Map.Entry<String, Object> e : services.entrySet()) {
      String where = "compose service " + e.getKey();
      Object service = e.getValue();
      assertThat(string(service, "image")).as("%s: image", where).isNotBlank();
      List<Object> ports = list(at(service, "ports").orElse(null));
      assertThat(ports).as("%s: ports", where).isNotEmpty();
      ports.forEach(p -> containerPortOf(p.toString()));
      Object dependsOn = at(service, "depends_on").orElse(null);
      Set<String> dependencies =
          dependsOn instanceof Map<?, ?> m
              ? map(m).keySet()
              : new HashSet<>(list(dependsOn).stream().map(Object::toString).toList());
      assertThat(services.keySet()).as("%s: depends_on", where).containsAll(dependencies);
      checkMounts(where, service, volumes);
      if (string(service, "image").startsWith("piddm/")) {
        assertThat(
                String.join(
                    " ",
                    list(at(service, "healthcheck", "test").orElse(null)).stream()
                        .map(Object::toString)
                        .toList()))
            .as("%s: healthcheck asks readiness", where)
            .contains("/q/health/ready");
      }
    }
    assertThat(string(services.get("registry"), "environment", "PIDDM_REGISTRY_S3_ENDPOINT"))
        .as("the registry uses the compose MinIO")
        .isEqualTo("http://minio:9000");
    assertThat(string(services.get("sampler"), "environment", "PIDDM_SAMPLER_REGISTRY"))
        .isEqualTo("registry:9102");

    try (Stream<Path> files = Files.list(DEPLOY)) {
      List<Path> overrides =
          files.filter(p -> p.getFileName().toString().matches("compose\\..+\\.yaml")).toList();
      assertThat(overrides).isNotEmpty();
      for (Path override : overrides) {
        for (Map.Entry<String, Object> e :
            map(DeployFiles.document(override).get("services")).entrySet()) {
          String where = override.getFileName() + " service " + e.getKey();
          assertThat(services)
              .as("%s overrides a service of compose.yaml", where)
              .containsKey(e.getKey());
          checkMounts(where, e.getValue(), volumes);
        }
      }
    }
  }

  /** Bind mounts of configuration exist; build outputs (under target/) only need their module. */
  static void checkMounts(String where, Object service, Set<String> namedVolumes) {
    for (Object volume : list(at(service, "volumes").orElse(null))) {
      String source = volume.toString().split(":")[0];
      if (source.startsWith(".")) {
        Path path = DEPLOY.resolve(source).normalize();
        if (source.contains("/target/")) {
          Path module = DEPLOY.resolve(source.substring(0, source.indexOf("/target/"))).normalize();
          assertThat(module.resolve("pom.xml"))
              .as("%s: module of %s", where, source)
              .isRegularFile();
        } else {
          assertThat(path).as("%s: mounted %s", where, source).exists();
        }
      } else {
        assertThat(namedVolumes).as("%s: volume %s is declared", where, source).contains(source);
      }
    }
  }

  // ---- Prometheus -------------------------------------------------------------------------

  @Test
  void everyScrapeTargetIsAServicePort() throws IOException {
    Map<String, Object> services = composeServices();
    List<Path> configs;
    try (Stream<Path> files = Files.list(DEPLOY.resolve("prometheus"))) {
      configs = files.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
    }
    assertThat(configs).hasSizeGreaterThanOrEqualTo(2);
    for (Path config : configs) {
      Set<String> jobs = new HashSet<>();
      for (Object job : list(DeployFiles.document(config).get("scrape_configs"))) {
        String name = string(job, "job_name");
        jobs.add(name);
        String where = config.getFileName() + " job " + name;
        if (SERVICES.contains(name)) {
          assertThat(string(job, "metrics_path")).as(where).isEqualTo("/q/metrics");
        }
        for (Object group : list(at(job, "static_configs").orElse(null))) {
          assertThat(at(group, "labels", "service"))
              .as("%s: a `service` target label would clash with the gRPC metrics' own", where)
              .isEmpty();
          for (Object target : list(at(group, "targets").orElse(null))) {
            String[] hostPort = target.toString().split(":");
            String host = hostPort[0];
            int port = Integer.parseInt(hostPort[1]);
            boolean local = host.equals("localhost") || host.equals("127.0.0.1");
            String serviceName = local ? name : host;
            assertThat(services)
                .as("%s: target %s is a compose service", where, target)
                .containsKey(serviceName);
            List<Integer> ports =
                list(at(services.get(serviceName), "ports").orElse(null)).stream()
                    .map(p -> local ? hostPortOf(p.toString()) : containerPortOf(p.toString()))
                    .toList();
            assertThat(ports)
                .as("%s: target %s is a port of %s", where, target, serviceName)
                .contains(port);
          }
        }
      }
      assertThat(jobs)
          .as("%s scrapes the three services", config.getFileName())
          .containsAll(SERVICES);
    }
  }

  // ---- Grafana ----------------------------------------------------------------------------

  @Test
  void grafanaDatasourceAndDashboardProviderMatchTheComposeMounts() throws IOException {
    Map<String, Object> grafana = map(composeServices().get("grafana"));
    Map<String, String> mounts = new LinkedHashMap<>();
    for (Object volume : list(grafana.get("volumes"))) {
      String[] parts = volume.toString().split(":");
      mounts.put(parts[0], parts[1]);
    }
    assertThat(mounts).containsKeys("./grafana/provisioning", "./grafana/dashboards");
    assertThat(mounts.get("./grafana/provisioning")).isEqualTo("/etc/grafana/provisioning");

    Map<String, Object> datasources =
        DeployFiles.document(DEPLOY.resolve("grafana/provisioning/datasources/prometheus.yaml"));
    Object datasource = list(datasources.get("datasources")).get(0);
    assertThat(string(datasource, "type")).isEqualTo("prometheus");
    assertThat(string(datasource, "uid")).isEqualTo("piddm-prometheus");
    String url = string(datasource, "url");
    assertThat(url).startsWith("http://prometheus:");
    int port = Integer.parseInt(url.substring(url.lastIndexOf(':') + 1).replace("/", ""));
    assertThat(
            list(at(composeServices().get("prometheus"), "ports").orElse(null)).stream()
                .map(p -> containerPortOf(p.toString())))
        .contains(port);

    Map<String, Object> providers =
        DeployFiles.document(DEPLOY.resolve("grafana/provisioning/dashboards/piddm.yaml"));
    Object provider = list(providers.get("providers")).get(0);
    assertThat(string(provider, "options", "path"))
        .as("the provider reads the folder compose mounts the dashboards into")
        .isEqualTo(mounts.get("./grafana/dashboards"));
    String home = string(grafana, "environment", "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH");
    assertThat(home).startsWith(mounts.get("./grafana/dashboards") + "/");
    assertThat(DeployFiles.DASHBOARDS.resolve(home.substring(home.lastIndexOf('/') + 1)))
        .isRegularFile();
  }

  @Test
  void everyDashboardPanelQueriesKnownMetricsThroughTheProvisionedDatasource() throws IOException {
    Map<String, KnownMetric> known = DeployFiles.knownMetrics();
    List<Path> dashboards;
    try (Stream<Path> files = Files.list(DeployFiles.DASHBOARDS)) {
      dashboards = files.filter(p -> p.toString().endsWith(".json")).toList();
    }
    assertThat(dashboards).isNotEmpty();
    for (Path file : dashboards) {
      JsonNode dashboard = DeployFiles.json(file);
      assertThat(dashboard.path("uid").asText()).isNotBlank();
      assertThat(dashboard.path("title").asText()).isNotBlank();
      Set<Integer> ids = new HashSet<>();
      for (JsonNode panel : dashboard.path("panels")) {
        assertThat(ids.add(panel.path("id").asInt())).as("panel ids are unique").isTrue();
      }
      List<JsonNode> panels = DeployFiles.panels(dashboard);
      assertThat(panels).hasSizeGreaterThanOrEqualTo(10);
      for (JsonNode panel : panels) {
        String where = file.getFileName() + " panel '" + panel.path("title").asText() + "'";
        assertThat(panel.path("datasource").path("uid").asText())
            .as(where)
            .isEqualTo("piddm-prometheus");
        assertThat(panel.path("targets").size()).as("%s has queries", where).isPositive();
        for (JsonNode target : panel.path("targets")) {
          String expr = target.path("expr").asText();
          assertThat(expr).as(where).isNotBlank();
          Set<String> names = DeployFiles.metricNames(expr);
          assertThat(names).as("%s: metrics of %s", where, expr).isNotEmpty();
          assertThat(known.keySet())
              .as("%s: %s uses a metric not in metric-names.txt", where, expr)
              .containsAll(names);
        }
      }
    }
    String all =
        String.join("\n", DeployFiles.panelQueries().stream().map(PanelQuery::expr).toList());
    assertThat(all)
        .as("latency p50/p99 from the gRPC histogram buckets")
        .contains("histogram_quantile(0.5, sum by (le")
        .contains("histogram_quantile(0.99, sum by (le")
        .contains("grpc_server_processing_duration_seconds_bucket");
    assertThat(all)
        .as("throughput, batch sizes, loaded version, training progress")
        .contains("rate(grpc_server_processing_duration_seconds_count")
        .contains("piddm_sampler_generate_batch_size_bucket")
        .contains("piddm_sampler_loaded_version")
        .contains("piddm_trainer_run_progress")
        .contains("piddm_trainer_steps_per_second");
  }

  @Test
  void metricNamesAreTakenFromPromQl() {
    assertThat(
            DeployFiles.metricNames(
                "histogram_quantile(0.99, sum by (le, service) (rate(a_bucket{x=\"y\"}[$__rate_interval])))"))
        .containsExactly("a_bucket");
    assertThat(
            DeployFiles.metricNames("sum(rate(b_sum[5m])) / sum without (i) (rate(c_count[5m]))"))
        .containsExactly("b_sum", "c_count");
    assertThat(DeployFiles.metricNames("up{job!=\"prometheus\"} * 1e3 > bool 0.5"))
        .containsExactly("up");
  }

  // ---- kubectl kustomize ------------------------------------------------------------------

  /** Renders every overlay (and the components, through an overlay made in a copy). */
  @Test
  void everyOverlayRendersWithKubectlKustomize(@TempDir Path temp) throws Exception {
    Optional<Path> kubectl = DeployFiles.executable("kubectl");
    assumeTrue(
        kubectl.isPresent(),
        "no kubectl on PATH: the overlays are checked file by file only, not rendered");
    String version = run(kubectl.get(), "version", "--client");
    Matcher kustomize = Pattern.compile("Kustomize Version: v(\\d+)").matcher(version);
    assumeTrue(
        kustomize.find() && Integer.parseInt(kustomize.group(1)) >= 4,
        "kubectl's kustomize is older than v4 (no components, no `labels`): " + version.strip());
    Map<String, List<Map<String, Object>>> rendered = new LinkedHashMap<>();
    for (String overlay : List.of("base", "overlays/cpu", "overlays/gpu", "overlays/gpu-sampler")) {
      rendered.put(overlay, kustomize(kubectl.get(), K8S.resolve(overlay)));
    }
    for (Map.Entry<String, List<Map<String, Object>>> e : rendered.entrySet()) {
      Map<String, Object> sampler = find(e.getValue(), "Deployment", "sampler");
      assertThat((Integer) at(sampler, "spec", "replicas").orElse(0)).isGreaterThanOrEqualTo(2);
      assertThat(string(find(e.getValue(), "Service", "sampler"), "spec", "clusterIP"))
          .isEqualTo("None");
      assertThat(e.getValue())
          .as("%s: everything in namespace piddm", e.getKey())
          .allMatch(
              d ->
                  "Namespace".equals(string(d, "kind"))
                      || "piddm".equals(string(d, "metadata", "namespace")));
    }
    assertThat(gpus(rendered.get("overlays/cpu"), "trainer")).isNull();
    assertThat(env(rendered.get("overlays/cpu"), "sampler", "PIDDM_SAMPLER_PROVIDER"))
        .isEqualTo("cpu");
    assertThat(gpus(rendered.get("overlays/gpu"), "trainer")).isEqualTo(1);
    assertThat(gpus(rendered.get("overlays/gpu"), "sampler")).isNull();
    assertThat(gpus(rendered.get("overlays/gpu-sampler"), "trainer")).isEqualTo(1);
    assertThat(gpus(rendered.get("overlays/gpu-sampler"), "sampler")).isEqualTo(1);
    assertThat(env(rendered.get("overlays/gpu-sampler"), "sampler", "PIDDM_SAMPLER_PROVIDER"))
        .isEqualTo("cuda");
    assertThat(
            string(
                firstContainer(find(rendered.get("overlays/gpu"), "Deployment", "trainer")),
                "image"))
        .isEqualTo("piddm/trainer-service:gpu");

    // The optional components, through an overlay written into a copy of deploy/k8s.
    Path copy = temp.resolve("k8s");
    copyTree(K8S, copy);
    Path all = copy.resolve("overlays/all-components");
    Files.createDirectories(all);
    Files.writeString(
        all.resolve("kustomization.yaml"),
        """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - ../cpu
        components:
          - ../../components/external-s3
          - ../../components/service-monitor
        """);
    List<Map<String, Object>> withComponents = kustomize(kubectl.get(), all);
    assertThat(withComponents)
        .as("external-s3 removes MinIO")
        .noneMatch(d -> "minio".equals(string(d, "metadata", "name")));
    assertThat(withComponents.stream().filter(d -> "ServiceMonitor".equals(string(d, "kind"))))
        .hasSize(3);
    Map<String, Object> secret = find(withComponents, "Secret", "piddm-s3");
    assertThat(map(secret.get("data")))
        .containsKeys("endpoint", "bucket", "access-key", "secret-key");
  }

  /** What {@code kubectl args} prints (stdout and stderr). */
  static String run(Path kubectl, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(kubectl.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return out;
  }

  static List<Map<String, Object>> kustomize(Path kubectl, Path dir) throws Exception {
    Process process =
        new ProcessBuilder(kubectl.toString(), "kustomize", dir.toString())
            .redirectErrorStream(false)
            .start();
    byte[] out = process.getInputStream().readAllBytes();
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("kubectl kustomize %s: %s", dir, err).isZero();
    Path file = Files.createTempFile("kustomized-", ".yaml");
    try {
      Files.write(file, out);
      return DeployFiles.documents(file).stream().map(DeployFiles::map).toList();
    } finally {
      Files.deleteIfExists(file);
    }
  }

  static Map<String, Object> find(List<Map<String, Object>> docs, String kind, String name) {
    return docs.stream()
        .filter(d -> kind.equals(string(d, "kind")) && name.equals(string(d, "metadata", "name")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + "/" + name));
  }

  static Object firstContainer(Map<String, Object> workload) {
    return list(podSpec(workload).get("containers")).get(0);
  }

  static Object gpus(List<Map<String, Object>> docs, String deployment) {
    return at(
            firstContainer(find(docs, "Deployment", deployment)),
            "resources",
            "limits",
            "nvidia.com/gpu")
        .orElse(null);
  }

  static String env(List<Map<String, Object>> docs, String deployment, String name) {
    for (Object e :
        list(at(firstContainer(find(docs, "Deployment", deployment)), "env").orElse(null))) {
      if (name.equals(string(e, "name"))) {
        return string(e, "value");
      }
    }
    return null;
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path source : files.toList()) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }
}
