package io.piddm.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpecs;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Shared test data: non-trivial weights, a Darcy-like normalisation, tensors both ways. */
final class Fixtures {

  /** a ≈ 7.5 ± 1 keeps the harmonic face averages away from a zero denominator. */
  static final double[] MEAN = {7.5, 0.02};

  static final double[] STD = {1.0, 0.01};

  private Fixtures() {}

  /** UNet.initialValues perturbed so that every layer (zero-initialised ones too) contributes. */
  static Map<String, float[]> weights(UNetSpec spec, long seed) {
    Map<String, float[]> weights = new UNet(spec).perturbedWeights(seed);
    return weights;
  }

  static OnnxExporter.ExportSpec export(UNetSpec spec, int size, long seed) {
    return export(spec, size, seed, ResidualSpecs.consistent(Pde.DARCY));
  }

  /** Darcy-like normalisation for two channels, (0, 1) for one channel (Burgers). */
  static OnnxExporter.ExportSpec export(
      UNetSpec spec, int size, long seed, io.piddm.physics.residual.ResidualSpec residual) {
    boolean joint = spec.channels() == 2;
    return new OnnxExporter.ExportSpec(
        "test",
        "0",
        spec,
        weights(spec, seed),
        joint ? MEAN : new double[] {0},
        joint ? STD : new double[] {1},
        residual,
        new Grid(size));
  }

  static Map<String, NDArray> djlParameters(
      NDManager manager, UNetSpec spec, Map<String, float[]> w) {
    Map<String, NDArray> params = new HashMap<>();
    new UNet(spec)
        .shapes()
        .forEach((n, s) -> params.put(n, manager.create(w.get(n), new Shape(s))));
    return params;
  }

  static float[] gaussian(Random random, int n) {
    float[] v = new float[n];
    for (int k = 0; k < v.length; k++) {
      v[k] = (float) random.nextGaussian();
    }
    return v;
  }

  static OnnxTensor tensor(float[] data, long... shape) throws OrtException {
    return OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), FloatBuffer.wrap(data), shape);
  }

  /** Runs a session and returns every output flattened. */
  static Map<String, float[]> run(OrtSession session, Map<String, OnnxTensor> inputs)
      throws OrtException {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (OrtSession.Result result = session.run(inputs)) {
      for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : result) {
        FloatBuffer b = ((OnnxTensor) e.getValue()).getFloatBuffer();
        float[] v = new float[b.remaining()];
        b.get(v);
        out.put(e.getKey(), v);
      }
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
    return out;
  }

  static double maxAbsDiff(float[] a, float[] b) {
    double m = 0;
    for (int k = 0; k < a.length; k++) {
      m = Math.max(m, Math.abs(a[k] - b[k]));
    }
    return m;
  }

  static double maxAbs(float[] a) {
    double m = 0;
    for (float v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  static double relativeL2(float[] actual, float[] expected) {
    double num = 0;
    double den = 0;
    for (int k = 0; k < actual.length; k++) {
      double d = actual[k] - expected[k];
      num += d * d;
      den += (double) expected[k] * expected[k];
    }
    return Math.sqrt(num / den);
  }
}
