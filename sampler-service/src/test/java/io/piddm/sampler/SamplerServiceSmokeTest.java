package io.piddm.sampler;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.piddm.proto.inference.GRPCInferenceServiceGrpc;
import io.piddm.proto.inference.ModelInferRequest;
import io.piddm.proto.v1.GenerateRequest;
import io.piddm.proto.v1.ObservedPoint;
import io.piddm.proto.v1.PointMask;
import io.piddm.proto.v1.ReconstructRequest;
import io.piddm.proto.v1.SamplerServiceGrpc;
import io.piddm.service.testing.ServiceSmokeTest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;

@QuarkusTest
@QuarkusTestResource(ExportedStudent.class)
class SamplerServiceSmokeTest extends ServiceSmokeTest {

  @Override
  protected List<ServiceDescriptor> services() {
    return List.of(
        SamplerServiceGrpc.getServiceDescriptor(), GRPCInferenceServiceGrpc.getServiceDescriptor());
  }

  /** Working requests of each RPC, for the generated-input test to mutate. */
  @Override
  protected List<? extends Message> validRequests(MethodDescriptor<?, ?> method) {
    int c = SamplerServiceTest.C;
    int s = SamplerServiceTest.S;
    return switch (method.getBareMethodName()) {
      case "Generate" -> List.of(GenerateRequest.newBuilder().setCount(2).setSeed(1).build());
      case "Reconstruct" ->
          List.of(
              ReconstructRequest.newBuilder()
                  .setObservations(SamplerServiceTest.tensor(new float[c * s * s]))
                  .setPoints(
                      PointMask.newBuilder()
                          .addPoints(ObservedPoint.newBuilder().setChannel(1).setRow(3).setCol(4)))
                  .setLambdaObs(1)
                  .setLambdaPde(0.001)
                  .setSteps(2)
                  .setLearningRate(0.05)
                  .setSeed(4)
                  .build());
      case "ModelInfer" ->
          List.of(
              ModelInferRequest.newBuilder()
                  .setModelName("piddm-student")
                  .addInputs(
                      ModelInferRequest.InferInputTensor.newBuilder()
                          .setName("eps")
                          .setDatatype("FP32")
                          .addShape(1)
                          .addShape(c)
                          .addShape(s)
                          .addShape(s))
                  .addRawInputContents(ByteString.copyFrom(new byte[c * s * s * 4]))
                  .build());
      default -> super.validRequests(method);
    };
  }
}
