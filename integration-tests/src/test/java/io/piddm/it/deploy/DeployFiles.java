package io.piddm.it.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The files under {@code deploy/} and the helpers both deploy tests read them with. */
final class DeployFiles {

  static final Path HOME =
      Path.of(System.getProperty("piddm.home", "..")).toAbsolutePath().normalize();
  static final Path DEPLOY = HOME.resolve("deploy");
  static final Path DASHBOARDS = DEPLOY.resolve("grafana/dashboards");

  /** What Grafana's {@code $__rate_interval} stands for when a test runs a panel's query. */
  static final String RATE_INTERVAL = "30s";

  private static final ObjectMapper JSON = new ObjectMapper();

  private DeployFiles() {}

  /** Every YAML file under deploy/, sorted. */
  static List<Path> yamlFiles() throws IOException {
    try (Stream<Path> files = Files.walk(DEPLOY)) {
      return files
          .filter(Files::isRegularFile)
          .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
          .sorted()
          .toList();
    }
  }

  /** Every document of a YAML file (a file may hold several, split by ---). */
  static List<Object> documents(Path file) {
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    try (InputStream in = Files.newInputStream(file)) {
      List<Object> documents = new ArrayList<>();
      for (Object document : yaml.loadAll(in)) {
        if (document != null) {
          documents.add(document);
        }
      }
      return documents;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The one document of a YAML file, as a map. */
  static Map<String, Object> document(Path file) {
    List<Object> documents = documents(file);
    if (documents.size() != 1 || !(documents.get(0) instanceof Map)) {
      throw new AssertionError(file + " should hold exactly one YAML mapping");
    }
    return map(documents.get(0));
  }

  static JsonNode json(Path file) throws IOException {
    return JSON.readTree(file.toFile());
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object value) {
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof Map)) {
      throw new AssertionError("expected a mapping, found " + value);
    }
    return (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object value) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List)) {
      throw new AssertionError("expected a list, found " + value);
    }
    return (List<Object>) value;
  }

  /** {@code map.a.b.c}, or empty when a step is missing. */
  static Optional<Object> at(Object root, String... path) {
    Object current = root;
    for (String step : path) {
      if (!(current instanceof Map<?, ?> m) || !m.containsKey(step)) {
        return Optional.empty();
      }
      current = m.get(step);
    }
    return Optional.ofNullable(current);
  }

  static String string(Object root, String... path) {
    return at(root, path).map(Object::toString).orElse(null);
  }

  /** One line of metric-names.txt. */
  record KnownMetric(String source, String name, String waitsFor) {}

  /** The metric names the dashboard may use (src/test/resources/deploy/metric-names.txt). */
  static Map<String, KnownMetric> knownMetrics() throws IOException {
    Map<String, KnownMetric> known = new LinkedHashMap<>();
    try (InputStream in =
        Objects.requireNonNull(
            DeployFiles.class.getResourceAsStream("/deploy/metric-names.txt"),
            "deploy/metric-names.txt is not on the test classpath")) {
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        String trimmed = line.strip();
        if (trimmed.isEmpty() || trimmed.startsWith("#")) {
          continue;
        }
        String[] parts = trimmed.split("\\s+");
        known.put(
            parts[1], new KnownMetric(parts[0], parts[1], parts.length > 2 ? parts[2] : null));
      }
    }
    return known;
  }

  /** A panel query of a dashboard: which dashboard and panel, and its PromQL. */
  record PanelQuery(String dashboard, String panel, String expr) {

    /** The query as Prometheus can run it, Grafana's interval variable filled in. */
    String runnable() {
      return expr.replace("$__rate_interval", RATE_INTERVAL).replace("$__interval", "5s");
    }
  }

  /** Every query of every panel of every dashboard JSON under deploy/grafana/dashboards. */
  static List<PanelQuery> panelQueries() throws IOException {
    List<PanelQuery> queries = new ArrayList<>();
    try (Stream<Path> files = Files.list(DASHBOARDS)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        JsonNode dashboard = json(file);
        for (JsonNode panel : panels(dashboard)) {
          for (JsonNode target : panel.path("targets")) {
            queries.add(
                new PanelQuery(
                    file.getFileName().toString(),
                    panel.path("title").asText(),
                    target.path("expr").asText()));
          }
        }
      }
    }
    return queries;
  }

  /** The panels of a dashboard, those inside collapsed rows included, rows themselves not. */
  static List<JsonNode> panels(JsonNode dashboard) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      if ("row".equals(panel.path("type").asText())) {
        panel.path("panels").forEach(out::add);
      } else {
        out.add(panel);
      }
    }
    return out;
  }

  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Set<String> PROMQL_WORDS =
      Set.of(
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "bool",
          "and",
          "or",
          "unless",
          "offset",
          "inf",
          "nan",
          "atan2",
          // aggregations, which may stand before their `by (...)` instead of their argument
          "sum",
          "min",
          "max",
          "avg",
          "group",
          "stddev",
          "stdvar",
          "count",
          "count_values",
          "bottomk",
          "topk",
          "quantile",
          "limitk",
          "limit_ratio");

  /** The metric names a PromQL expression selects (functions, labels and keywords left out). */
  static Set<String> metricNames(String expr) {
    String s = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"");
    s = s.replaceAll("\\{[^}]*}", " ");
    s = s.replaceAll("\\[[^]]*]", " ");
    s =
        s.replaceAll(
            "(?i)\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " $1 ");
    Set<String> names = new LinkedHashSet<>();
    Matcher m = IDENTIFIER.matcher(s);
    while (m.find()) {
      String token = m.group();
      int before = m.start() - 1;
      if (before >= 0 && (Character.isDigit(s.charAt(before)) || s.charAt(before) == '.')) {
        continue; // the exponent of a number such as 1e3
      }
      int after = m.end();
      while (after < s.length() && Character.isWhitespace(s.charAt(after))) {
        after++;
      }
      boolean call = after < s.length() && s.charAt(after) == '(';
      if (call || PROMQL_WORDS.contains(token.toLowerCase())) {
        continue;
      }
      names.add(token);
    }
    return names;
  }

  /** An executable on PATH (or at one of {@code fallbacks}), if there is one. */
  static Optional<Path> executable(String name, String... fallbacks) {
    List<Path> candidates = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(java.io.File.pathSeparator)) {
        if (!dir.isEmpty()) {
          candidates.add(Path.of(dir, name));
        }
      }
    }
    for (String fallback : fallbacks) {
      candidates.add(Path.of(fallback));
    }
    return candidates.stream()
        .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p))
        .findFirst();
  }
}
