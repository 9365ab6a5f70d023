package io.piddm.api.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.piddm.api.InProcessService;
import io.piddm.api.Tensors;
import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.SampleGenerator;
import io.piddm.proto.v1.GenerateRequest;
import io.piddm.proto.v1.GenerateResponse;
import io.piddm.proto.v1.ModelIdentity;
import io.piddm.proto.v1.Pde;
import io.piddm.proto.v1.ReconstructDefaults;
import io.piddm.proto.v1.ReconstructProgress;
import io.piddm.proto.v1.ReconstructRequest;
import io.piddm.proto.v1.ReconstructResponse;
import io.piddm.proto.v1.ReconstructResult;
import io.piddm.proto.v1.SamplerServiceGrpc;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sampler client against an in-process sampler that answers with fields the project's Poisson
 * solver made, so the client's own judgement of them (under the spec the sampler names) is known.
 */
class SamplerClientTest {

  private static final int S = 16;
  private static final ModelIdentity POISSON =
      ModelIdentity.newBuilder()
          .setModelName("poisson16")
          .setVersion(3)
          .setPde(Pde.PDE_POISSON)
          .setResidualSpecId("poisson/consistent-laplace5")
          .setGrid(
              io.piddm.proto.v1.Grid.newBuilder()
                  .setHeight(S)
                  .setWidth(S)
                  .addChannels("a")
                  .addChannels("u"))
          .build();

  private InProcessService service;
  private ManagedChannel channel;

  /** Field k of the answer is Poisson sample k of seed 1: a source and its exact solution. */
  private static float[] solved(int count) {
    SampleGenerator generator =
        SampleGenerator.standard(io.piddm.physics.pde.Pde.POISSON, new Grid(S));
    float[] all = new float[count * 2 * S * S];
    for (int k = 0; k < count; k++) {
      List<Field> channels = generator.sample(1, k).channels();
      for (int c = 0; c < 2; c++) {
        double[] v = channels.get(c).values();
        for (int p = 0; p < S * S; p++) {
          all[(k * 2 + c) * S * S + p] = (float) v[p];
        }
      }
    }
    return all;
  }

  private static final class FakeSampler extends SamplerServiceGrpc.SamplerServiceImplBase {
    @Override
    public void generate(GenerateRequest request, StreamObserver<GenerateResponse> response) {
      if (request.getCount() > 8) {
        response.onError(
            Status.INVALID_ARGUMENT.withDescription("count must be <= 8").asRuntimeException());
        return;
      }
      // count 5 is answered with one field too few, as a broken sampler might
      int sent = request.getCount() == 5 ? 4 : request.getCount();
      response.onNext(
          GenerateResponse.newBuilder()
              .setFields(Tensors.float32(solved(sent), sent, 2, S, S))
              .setModel(POISSON)
              .setNetworkEvaluations(1)
              .build());
      response.onCompleted();
    }

    @Override
    public void reconstruct(
        ReconstructRequest request, StreamObserver<ReconstructResponse> response) {
      float[] field = solved(1);
      for (int step = 0; step <= 2; step++) {
        response.onNext(
            ReconstructResponse.newBuilder()
                .setProgress(
                    ReconstructProgress.newBuilder()
                        .setStep(step)
                        .setTotalSteps(2)
                        .setLoss(1.0 / (step + 1)))
                .build());
      }
      response.onNext(
          ReconstructResponse.newBuilder()
              .setResult(
                  ReconstructResult.newBuilder()
                      .setMean(Tensors.float32(field, 2, S, S))
                      .setModel(POISSON)
                      .setSteps(2)
                      .setSettings(
                          ReconstructDefaults.newBuilder()
                              .setSteps(2)
                              .setLearningRate(0.05)
                              .setLambdaObs(1)
                              .setLambdaPde(0.01)))
              .build());
      response.onCompleted();
    }
  }

  @BeforeEach
  void start() throws Exception {
    service = InProcessService.start(new FakeSampler());
    channel = service.channel();
  }

  @AfterEach
  void stop() {
    service.close();
  }

  @Test
  void generatedFieldsAreJudgedWithTheSpecTheSamplerNames() throws Exception {
    try (SamplerClient client = new SamplerClient(channel)) {
      Generated g = client.generate(SamplerClient.Model.SERVED, 3, 11);

      assertThat(g.count()).isEqualTo(3);
      assertThat(g.shape()).containsExactly(3, 2, S, S);
      assertThat(g.fields()[2])
          .containsExactly(java.util.Arrays.copyOfRange(solved(3), 2 * 2 * S * S, 3 * 2 * S * S));
      assertThat(g.model().residualSpecId()).isEqualTo("poisson/consistent-laplace5");
      // solver fields: residual at float32 rounding, u equal to the solution for its a
      assertThat(java.util.Arrays.stream(g.relativePdeError()).max().orElseThrow())
          .isLessThan(1e-4);
      assertThat(java.util.Arrays.stream(g.solutionConsistency()).max().orElseThrow())
          .isLessThan(1e-5);
    }
  }

  @Test
  void aMalformedAnswerOrAnErrorSaysWhichSamplerAndWhy() throws Exception {
    try (SamplerClient client = new SamplerClient(channel)) {
      assertThatThrownBy(() -> client.generate(SamplerClient.Model.SERVED, 5, 1))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("fields: the sampler sent shape [4, 2, 16, 16] for 5 fields");
      assertThatThrownBy(() -> client.generate(SamplerClient.Model.SERVED, 9, 1))
          .isInstanceOf(StatusRuntimeException.class)
          .hasMessage("INVALID_ARGUMENT: sampler " + channel.authority() + ": count must be <= 8");
    }
  }

  @Test
  void aReconstructionStreamsItsProgressAndReturnsTheSettingsItRan() throws Exception {
    try (SamplerClient client = new SamplerClient(channel)) {
      List<SamplerClient.Progress> seen = new ArrayList<>();
      Reconstructed r = client.reconstruct(ReconstructRequest.getDefaultInstance(), seen::add);

      assertThat(seen).extracting(SamplerClient.Progress::step).containsExactly(0, 1, 2);
      assertThat(seen).allSatisfy(p -> assertThat(p.steps()).isEqualTo(2));
      assertThat(r.settings()).isEqualTo(new Reconstructed.Settings(2, 0.05, 1, 0.01, 0));
      assertThat(r.relativePdeError()).isLessThan(1e-4);
      assertThat(r.mean()).containsExactly(solved(1));
    }
  }
}
