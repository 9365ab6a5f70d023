package io.piddm.cli;

import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.piddm.api.registry.RegistryClient;
import io.piddm.proto.v1.AliasMove;
import io.piddm.proto.v1.AliasRecord;
import io.piddm.proto.v1.GetAliasHistoryRequest;
import io.piddm.proto.v1.GetAliasHistoryResponse;
import io.piddm.proto.v1.GetVersionRequest;
import io.piddm.proto.v1.ListModelsRequest;
import io.piddm.proto.v1.ListModelsResponse;
import io.piddm.proto.v1.ListVersionsRequest;
import io.piddm.proto.v1.ModelManifest;
import io.piddm.proto.v1.ModelSummary;
import io.piddm.proto.v1.RollbackAliasRequest;
import io.piddm.proto.v1.VersionSelector;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code piddm models …} and {@code piddm alias …}: the registry from the command line. */
final class RegistryCommands {

  private RegistryCommands() {}

  /** Where the registry is and how to authenticate; shared by every registry subcommand. */
  static final class Connection {
    @Option(
        names = "--registry",
        paramLabel = "HOST:PORT",
        defaultValue = "localhost:9102",
        description = "Registry gRPC address (default ${DEFAULT-VALUE}).")
    String registry;

    @Option(
        names = "--token",
        description =
            "Bearer token for changes; default: $PIDDM_REGISTRY_TOKEN, else the token the"
                + " embedded registry generated in ~/.piddm/registry/token.")
    String token;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    RegistryClient open() throws IOException {
      return new RegistryClient(registry, token());
    }

    String token() throws IOException {
      return Tokens.resolve(token, "PIDDM_REGISTRY_TOKEN", "registry");
    }
  }

  static void printJson(PrintWriter out, MessageOrBuilder message) throws IOException {
    out.println(JsonFormat.printer().print(message));
    out.flush();
  }

  static String when(com.google.protobuf.Timestamp t) {
    return t.getSeconds() == 0
        ? "–"
        : Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).toString();
  }

  @Command(
      name = "models",
      mixinStandardHelpOptions = true,
      description = "Models in the registry: list, show a version, publish an exported student.",
      subcommands = {Models.ListModels.class, Models.Show.class, Models.Publish.class})
  static final class Models implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(
        name = "list",
        mixinStandardHelpOptions = true,
        description = "Every model with its latest version, version count and aliases.",
        footer = {"", "Examples:", "  piddm models list", "  piddm models list --json"})
    static final class ListModels implements Callable<Integer> {
      @CommandLine.Spec CommandLine.Model.CommandSpec spec;
      @Mixin Connection connection;

      @Override
      public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (RegistryClient client = connection.open()) {
          ListModelsResponse.Builder all = ListModelsResponse.newBuilder();
          String page = "";
          do {
            ListModelsResponse r =
                client.stub().listModels(ListModelsRequest.newBuilder().setPageToken(page).build());
            all.addAllModels(r.getModelsList());
            page = r.getNextPageToken();
          } while (!page.isEmpty());
          if (connection.json) {
            printJson(out, all);
            return 0;
          }
          out.printf("%-28s %8s %9s  %s%n", "model", "latest", "versions", "aliases");
          for (ModelSummary m : all.getModelsList()) {
            StringBuilder aliases = new StringBuilder();
            for (AliasRecord a : m.getAliasesList()) {
              aliases.append(aliases.length() == 0 ? "" : ", ");
              aliases.append(a.getAlias()).append(" → v").append(a.getVersion());
            }
            out.printf(
                "%-28s %8d %9d  %s%n",
                m.getModelName(), m.getLatestVersion(), m.getVersionCount(), aliases);
          }
          out.flush();
          return 0;
        }
      }
    }

    @Command(
        name = "show",
        mixinStandardHelpOptions = true,
        description = "One version's manifest: files, metrics, lineage (the latest by default).",
        footer = {
          "",
          "Examples:",
          "  piddm models show darcy32",
          "  piddm models show darcy32 --alias production --json",
          "  piddm models show darcy32 --version 3"
        })
    static final class Show implements Callable<Integer> {
      @CommandLine.Spec CommandLine.Model.CommandSpec spec;
      @Mixin Connection connection;

      @Parameters(index = "0", paramLabel = "MODEL")
      String model;

      @Option(names = "--version", description = "Version number.")
      Long version;

      @Option(names = "--alias", description = "Alias, e.g. production.")
      String alias;

      @Override
      public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (RegistryClient client = connection.open()) {
          VersionSelector.Builder selector = VersionSelector.newBuilder().setModelName(model);
          if (version != null) {
            selector.setVersion(version);
          } else if (alias != null) {
            selector.setAlias(alias);
          } else {
            selector.setVersion(latest(client, model));
          }
          ModelManifest m =
              client
                  .stub()
                  .getVersion(GetVersionRequest.newBuilder().setSelector(selector).build())
                  .getManifest();
          if (connection.json) {
            printJson(out, m);
            return 0;
          }
          out.printf(
              "%s v%d  (%s, created %s by %s)%n",
              m.getModelName(),
              m.getVersion(),
              m.getPde(),
              when(m.getCreatedAt()),
              m.getCreatedBy());
          if (!m.getDescription().isEmpty()) {
            out.println("  " + m.getDescription());
          }
          m.getMetricsMap().entrySet().stream()
              .sorted(Map.Entry.comparingByKey())
              .forEach(e -> out.printf("  metric %-20s %.6g%n", e.getKey(), e.getValue()));
          m.getFilesList()
              .forEach(
                  f ->
                      out.printf(
                          "  file   %-20s %10d bytes  sha256 %s%n",
                          f.getName(), f.getSizeBytes(), f.getSha256()));
          out.flush();
          return 0;
        }
      }

      private static long latest(RegistryClient client, String model) {
        List<ModelManifest> versions =
            client
                .stub()
                .listVersions(
                    ListVersionsRequest.newBuilder().setModelName(model).setPageSize(1000).build())
                .getVersionsList();
        return versions.stream().mapToLong(ModelManifest::getVersion).max().orElse(0);
      }
    }

    @Command(
        name = "publish",
        mixinStandardHelpOptions = true,
        description = {
          "Upload an exported student (every file of its folder: model.onnx, reconstruct.onnx)",
          "as the next version of a model; optionally move an alias to it (gates apply)."
        },
        footer = {
          "",
          "Examples:",
          "  piddm export --model runs/d32/piddm --name darcy32 --out runs/d32/onnx",
          "  piddm models publish --dir runs/d32/onnx --name darcy32 --metric pde_error=0.87",
          "  piddm models publish --dir runs/d32/onnx --name darcy32 --alias staging"
        })
    static final class Publish implements Callable<Integer> {
      @CommandLine.Spec CommandLine.Model.CommandSpec spec;
      @Mixin Connection connection;

      @Option(names = "--dir", required = true, description = "Folder of the exported files.")
      Path dir;

      @Option(names = "--name", required = true, description = "Model name in the registry.")
      String name;

      @Option(names = "--alias", description = "Alias to move to the new version.")
      String alias;

      @Option(names = "--metric", description = "Manifest metric NAME=VALUE (repeatable).")
      Map<String, Double> metrics = Map.of();

      @Option(names = "--description", description = "A line about this version.")
      String description;

      @Override
      public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<Path> files = RegistryClient.filesOf(dir);
        if (files.isEmpty()) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "--dir " + dir + " holds no files");
        }
        ModelManifest.Builder base = ModelManifest.newBuilder().putAllMetrics(metrics);
        if (description != null) {
          base.setDescription(description);
        }
        try (RegistryClient client = connection.open()) {
          var response = client.publish(name, files, base.build(), alias == null ? "" : alias);
          if (connection.json) {
            printJson(out, response);
            return 0;
          }
          out.printf(
              "published %s v%d (%d files)%n",
              name, response.getManifest().getVersion(), files.size());
          if (response.hasAlias()) {
            out.printf(
                "alias %s → v%d%n",
                response.getAlias().getAlias(), response.getAlias().getVersion());
          }
          if (!response.getAliasError().isEmpty()) {
            out.printf("alias %s not moved: %s%n", alias, response.getAliasError());
            out.flush();
            return 2;
          }
          out.flush();
          return 0;
        }
      }
    }
  }

  @Command(
      name = "alias",
      mixinStandardHelpOptions = true,
      description = "Move, roll back and audit aliases (e.g. staging, production).",
      subcommands = {Alias.Set.class, Alias.Rollback.class, Alias.History.class})
  static final class Alias implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The alias after a move: JSON with --json, else one line. */
    static void report(CommandLine.Model.CommandSpec spec, Connection connection, AliasRecord a)
        throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      if (connection.json) {
        printJson(out, a);
        return;
      }
      out.printf(
          "%s@%s → v%d (was v%d, revision %d)%n",
          a.getModelName(), a.getAlias(), a.getVersion(), a.getPreviousVersion(), a.getRevision());
      out.flush();
    }

    @Command(
        name = "set",
        mixinStandardHelpOptions = true,
        description = "Point an alias at a version (compare-and-set; promotion gates apply).",
        footer = {"", "Examples:", "  piddm alias set darcy32 production 3 --reason 'passed eval'"})
    static final class Set implements Callable<Integer> {
      @CommandLine.Spec CommandLine.Model.CommandSpec spec;
      @Mixin Connection connection;

      @Parameters(index = "0", paramLabel = "MODEL")
      String model;

      @Parameters(index = "1", paramLabel = "ALIAS")
      String alias;

      @Parameters(index = "2", paramLabel = "VERSION")
      long version;

      @Option(names = "--reason", description = "Recorded in the alias history.")
      String reason;

      @Override
      public Integer call() throws Exception {
        try (RegistryClient client = connection.open()) {
          AliasRecord a = client.setAlias(model, alias, version, reason);
          report(spec, connection, a);
          return 0;
        }
      }
    }

    @Command(
        name = "rollback",
        mixinStandardHelpOptions = true,
        description = "Point an alias back at its previous version.",
        footer = {
          "",
          "Examples:",
          "  piddm alias rollback darcy32 production --reason 'bad PDE error'"
        })
    static final class Rollback implements Callable<Integer> {
      @CommandLine.Spec CommandLine.Model.CommandSpec spec;
      @Mixin Connection connection;

      @Parameters(index = "0", paramLabel = "MODEL")
      String model;

      @Parameters(index = "1", paramLabel = "ALIAS")
      String alias;

      @Option(names = "--reason", description = "Recorded in the alias history.")
      String reason;

      @Override
      public Integer call() throws Exception {
        try (RegistryClient client = connection.open()) {
          AliasRecord a =
              client
                  .stub()
                  .rollbackAlias(
                      RollbackAliasRequest.newBuilder()
                          .setModelName(model)
                          .setAlias(alias)
                          .setReason(reason == null ? "" : reason)
                          .build())
                  .getAlias();
          report(spec, connection, a);
          return 0;
        }
      }
    }

    @Command(
        name = "history",
        mixinStandardHelpOptions = true,
        description = "Every move of a model's aliases: when, who, from, to, why.",
        footer = {
          "",
          "Examples:",
          "  piddm alias history darcy32",
          "  piddm alias history darcy32 production --json"
        })
    static final class History implements Callable<Integer> {
      @CommandLine.Spec CommandLine.Model.CommandSpec spec;
      @Mixin Connection connection;

      @Parameters(index = "0", paramLabel = "MODEL")
      String model;

      @Parameters(index = "1", paramLabel = "ALIAS", arity = "0..1")
      String alias;

      @Override
      public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (RegistryClient client = connection.open()) {
          GetAliasHistoryResponse.Builder all = GetAliasHistoryResponse.newBuilder();
          String page = "";
          do {
            GetAliasHistoryResponse r =
                client
                    .stub()
                    .getAliasHistory(
                        GetAliasHistoryRequest.newBuilder()
                            .setModelName(model)
                            .setAlias(alias == null ? "" : alias)
                            .setPageToken(page)
                            .build());
            all.addAllMoves(r.getMovesList());
            page = r.getNextPageToken();
          } while (!page.isEmpty());
          if (connection.json) {
            printJson(out, all);
            return 0;
          }
          out.printf(
              "%-24s %-12s %-10s %6s %6s  %-10s %s%n",
              "at", "alias", "kind", "from", "to", "by", "reason");
          for (AliasMove m : all.getMovesList()) {
            out.printf(
                "%-24s %-12s %-10s %6s %6s  %-10s %s%n",
                when(m.getAt()),
                m.getAlias(),
                m.getKind()
                    .name()
                    .replace("ALIAS_MOVE_KIND_", "")
                    .toLowerCase(java.util.Locale.ROOT),
                m.getFromVersion() == 0 ? "–" : "v" + m.getFromVersion(),
                "v" + m.getToVersion(),
                m.getActor(),
                m.getReason());
          }
          out.flush();
          return 0;
        }
      }
    }
  }
}
