package io.piddm.export;

import io.piddm.physics.solve.DirichletLaplacian;

/**
 * {@link DirichletLaplacian}'s inverse on symbolic interior fields [N, 1, n, n] as Q·((Q·R·Q) ⊙
 * 1/Λ)·Q, four MatMuls with constant matrices, so the reconstruction graph differentiates it
 * through {@link OnnxOps#matMul}: the ONNX twin of {@code DjlInverseLaplacian}.
 */
public final class OnnxInverseLaplacian {

  private OnnxInverseLaplacian() {}

  public static Sym apply(OnnxOps ops, DirichletLaplacian laplacian, Sym interior) {
    int n = laplacian.interiorSize();
    long[] s = interior.shape();
    if (s.length != 4 || s[1] != 1 || s[2] != n || s[3] != n) {
      throw new IllegalArgumentException(
          "interior fields: expected [N, 1, " + n + ", " + n + "], got " + interior);
    }
    OnnxGraph g = ops.graph();
    Sym q = g.constant(OnnxOps.toFloat(laplacian.sineBasis()), n, n);
    Sym inverse = g.constant(OnnxOps.toFloat(laplacian.inverseEigenvalues()), n, n);
    Sym spectral = ops.mul(ops.matMul(ops.matMul(q, interior), q), inverse);
    return ops.matMul(ops.matMul(q, spectral), q);
  }
}
