package io.piddm.trainer;

import io.piddm.api.registry.RegistryClient;
import io.piddm.diffusion.model.TrainedModel;
import io.piddm.export.OnnxExporter;
import io.piddm.inference.StudentModel;
import io.piddm.pipeline.Lineage;
import io.piddm.pipeline.Publisher;
import io.piddm.proto.v1.BoundaryHandling;
import io.piddm.proto.v1.ChannelNormalization;
import io.piddm.proto.v1.CreateVersionResponse;
import io.piddm.proto.v1.DatasetRef;
import io.piddm.proto.v1.GetVersionRequest;
import io.piddm.proto.v1.Grid;
import io.piddm.proto.v1.ModelManifest;
import io.piddm.proto.v1.ReconstructDefaults;
import io.piddm.proto.v1.ReconstructOptimizer;
import io.piddm.proto.v1.ResidualFamily;
import io.piddm.proto.v1.ResidualSpec;
import io.piddm.proto.v1.VersionSelector;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Publishes a run's student to the registry: the manifest carries the PDE, grid, normalisation,
 * residual spec, metrics and lineage; the registry numbers the version and moves the requested
 * alias when its gates allow.
 */
final class RegistryPublisher implements Publisher {

  private final String target;
  private final Optional<String> token;
  private final Path tokenFile;
  private final Optional<Path> caFile;

  RegistryPublisher(String target, Optional<String> token, Path tokenFile, Optional<Path> caFile) {
    this.target = target;
    this.token = token.map(String::trim).filter(t -> !t.isEmpty());
    this.tokenFile = tokenFile;
    this.caFile = caFile;
  }

  String target() {
    return target;
  }

  @Override
  public Published publish(Request request) throws IOException, InterruptedException {
    try (RegistryClient client = new RegistryClient(target, token(), caFile)) {
      CreateVersionResponse response =
          client.publish(request.modelName(), request.files(), manifest(request), request.alias());
      return new Published(
          request.modelName(),
          response.getManifest().getVersion(),
          request.alias(),
          response.getAliasError());
    }
  }

  /** The manifest the registry stored for a published version. */
  ModelManifest manifest(String model, long version) throws IOException, InterruptedException {
    try (RegistryClient client = new RegistryClient(target, token(), caFile)) {
      return client
          .stub()
          .getVersion(
              GetVersionRequest.newBuilder()
                  .setSelector(VersionSelector.newBuilder().setModelName(model).setVersion(version))
                  .build())
          .getManifest();
    }
  }

  /** The configured token, else the one the embedded registry generated on this machine. */
  private String token() throws IOException {
    if (token.isPresent()) {
      return token.get();
    }
    if (Files.isRegularFile(tokenFile)) {
      return Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
    }
    throw new IOException(
        "no registry token: set piddm.trainer.registry-token (PIDDM_TRAINER_REGISTRY_TOKEN) or"
            + " start the registry on this machine so "
            + tokenFile
            + " exists");
  }

  static ModelManifest manifest(Request request) throws IOException {
    TrainedModel student = request.student();
    double h = 1.0 / (student.resolution() - 1);
    ModelManifest.Builder m =
        ModelManifest.newBuilder()
            .setModelName(request.modelName())
            .setPde(RunSpecs.wire(student.pdeKind()))
            .setGrid(
                Grid.newBuilder()
                    .setHeight(student.resolution())
                    .setWidth(student.resolution())
                    .setSpacingX(h)
                    .setSpacingY(h)
                    .addAllChannels(student.normalization().channels()))
            .setResidualSpec(residualSpec(student.residualSpec()))
            .putAllReconstructDefaults(reconstructDefaults(request.files()))
            .putAllMetrics(request.metrics())
            .putAllLabels(request.labels())
            .setDescription(request.description());
    for (int c = 0; c < student.normalization().channels().size(); c++) {
      m.addNormalization(
          ChannelNormalization.newBuilder()
              .setChannel(student.normalization().channels().get(c))
              .setMean(student.normalization().mean()[c])
              .setStd(student.normalization().std()[c]));
    }
    Lineage l = request.lineage();
    m.setLineage(
        io.piddm.proto.v1.Lineage.newBuilder()
            .setDataset(
                DatasetRef.newBuilder()
                    .setPde(RunSpecs.wire(student.pdeKind()))
                    .setResolution(l.resolution())
                    .setCount(l.datasetCount())
                    .setSeed(l.datasetSeed())
                    .setContentHash(l.datasetSha256())
                    .setSolver(l.solver())
                    .setSource(l.source()))
            .setTeacherRunId(l.teacherRunId())
            .setDistillationRunId(l.distillationRunId())
            .putAllHyperparameters(l.hyperparameters())
            .setCodeVersion(l.codeVersion())
            .setTrainerHost(l.host()));
    return m.build();
  }

  /**
   * The reconstruction defaults exported into the published {@code model.onnx}, keyed by task, as
   * the manifest carries them; none where no such file is published.
   */
  static Map<String, ReconstructDefaults> reconstructDefaults(List<Path> files) throws IOException {
    Map<String, ReconstructDefaults> wire = new LinkedHashMap<>();
    for (Path f : files) {
      if (!f.getFileName().toString().equals(StudentModel.MODEL_FILE)) {
        continue;
      }
      OnnxExporter.reconstructDefaultsOf(f)
          .tasks()
          .forEach(
              (task, s) ->
                  wire.put(
                      task.key(),
                      ReconstructDefaults.newBuilder()
                          .setSteps(s.steps())
                          .setLearningRate(s.learningRate())
                          .setLambdaObs(s.lambdaObs())
                          .setLambdaPde(s.lambdaPde())
                          .setLambdaSolution(s.lambdaSolution())
                          .setOptimizer(
                              ReconstructOptimizer.valueOf(
                                  "RECONSTRUCT_OPTIMIZER_" + s.optimizer()))
                          .build()));
    }
    return wire;
  }

  /** The spec the student was distilled with, in full, as the manifest carries it. */
  static ResidualSpec residualSpec(io.piddm.physics.residual.ResidualSpec spec) {
    BoundaryHandling boundary =
        spec.periodicColumns()
            ? BoundaryHandling.BOUNDARY_HANDLING_PERIODIC
            : BoundaryHandling.BOUNDARY_HANDLING_CROP;
    return ResidualSpec.newBuilder()
        .setId(spec.id())
        .setPde(RunSpecs.wire(spec.pde()))
        .setFamily(ResidualFamily.valueOf("RESIDUAL_FAMILY_" + spec.family().name()))
        .setStencil(spec.stencil())
        .setHScaled(spec.hScaled())
        .setBoundary(boundary)
        .setCropPixels(spec.crop())
        .setDenormalize(true)
        .putAllParameters(spec.parameters())
        .build();
  }
}
