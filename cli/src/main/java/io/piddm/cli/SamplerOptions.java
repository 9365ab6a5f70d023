package io.piddm.cli;

import com.google.gson.GsonBuilder;
import io.piddm.api.sampler.SamplerClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import picocli.CommandLine.Option;

/**
 * Where the sampler is, which model a request pins, and text or JSON: shared by sample and
 * reconstruct.
 */
final class SamplerOptions {

  // --version below names the model version, which makes picocli drop the standard -h/-V mixin
  // options; --help is declared here instead.
  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Option(
      names = "--sampler",
      paramLabel = "HOST:PORT",
      defaultValue = "localhost:9103",
      description = "Sampler gRPC address (default ${DEFAULT-VALUE}).")
  String sampler;

  @Option(
      names = "--model",
      paramLabel = "NAME",
      description = "Require this model; NOT_FOUND when the sampler serves another.")
  String model;

  @Option(
      names = "--version",
      paramLabel = "N",
      description = "Require this version of the served model (pin what you validated).")
  Long version;

  @Option(
      names = "--alias",
      paramLabel = "ALIAS",
      description = "Require that the sampler follows this alias, e.g. production.")
  String alias;

  @Option(names = "--json", description = "Print JSON instead of text.")
  boolean json;

  SamplerClient.Model model() {
    return new SamplerClient.Model(model, version == null ? 0 : version, alias);
  }

  SamplerClient open() {
    return new SamplerClient(sampler);
  }

  /** Pretty JSON, also used for the report file written beside the arrays. */
  static String json(Object report) {
    return new GsonBuilder()
        .setPrettyPrinting()
        .serializeSpecialFloatingPointValues()
        .disableHtmlEscaping()
        .create()
        .toJson(report);
  }

  /** Writes {@code text} to {@code file} by rename. */
  static void writeText(Path file, String text) throws IOException {
    Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(temporary, text + System.lineSeparator(), StandardCharsets.UTF_8);
    Files.move(
        temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
