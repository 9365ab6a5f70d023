"""A sampler client that is not Java: Debian's python3-grpcio and python3-protobuf, with the
message classes built at run time from a FileDescriptorSet (no generated code).

usage: sampler_client.py TARGET DESCRIPTORS EPS_FILE OUT_DIR

Calls SamplerService/Generate (count 2, seed 7) and GRPCInferenceService/ModelInfer (raw FP32
input read from EPS_FILE, shape [1, 2, 16, 16]) and writes the answers' tensor bytes to
OUT_DIR/generate.bin and OUT_DIR/infer.bin, and the served version to OUT_DIR/version.txt.
"""
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def message_classes(descriptor_file):
    files = descriptor_pb2.FileDescriptorSet()
    with open(descriptor_file, "rb") as f:
        files.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for proto in files.file:
        pool.Add(proto)
    def get(name):
        return message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName(name))
    return get


def main():
    target, descriptors, eps_file, out_dir = sys.argv[1:5]
    get = message_classes(descriptors)
    GenerateRequest = get("piddm.v1.GenerateRequest")
    GenerateResponse = get("piddm.v1.GenerateResponse")
    ModelInferRequest = get("inference.ModelInferRequest")
    ModelInferResponse = get("inference.ModelInferResponse")

    with grpc.insecure_channel(target) as channel:
        generate = channel.unary_unary(
            "/piddm.v1.SamplerService/Generate",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=GenerateResponse.FromString,
        )
        answer = generate(GenerateRequest(count=2, seed=7), timeout=60)
        with open(out_dir + "/generate.bin", "wb") as f:
            f.write(answer.fields.data)
        with open(out_dir + "/version.txt", "w") as f:
            f.write(str(answer.model.version))

        infer = channel.unary_unary(
            "/inference.GRPCInferenceService/ModelInfer",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=ModelInferResponse.FromString,
        )
        request = ModelInferRequest(model_name=answer.model.model_name)
        tensor = request.inputs.add()
        tensor.name = "eps"
        tensor.datatype = "FP32"
        tensor.shape.extend([1, 2, 16, 16])
        with open(eps_file, "rb") as f:
            request.raw_input_contents.append(f.read())
        result = infer(request, timeout=60)
        with open(out_dir + "/infer.bin", "wb") as f:
            f.write(result.raw_output_contents[0])


if __name__ == "__main__":
    main()
