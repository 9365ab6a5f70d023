package io.piddm.diffusion.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.piddm.physics.solve.DirichletLaplacian;

/**
 * {@link DirichletLaplacian}'s inverse applied to a batch of interior fields [N, n, n] as tensor
 * products Q·((Q·R·Q) ⊙ 1/Λ)·Q, so a loss can differentiate through it. The matrices are the
 * physics module's, in the input's precision.
 */
public final class DjlInverseLaplacian {

  private final DirichletLaplacian laplacian;
  private final double[] sineBasis;
  private final double[] inverseEigenvalues;
  private final float[] sineBasis32;
  private final float[] inverseEigenvalues32;

  public DjlInverseLaplacian(DirichletLaplacian laplacian) {
    this.laplacian = laplacian;
    this.sineBasis = laplacian.sineBasis();
    this.inverseEigenvalues = laplacian.inverseEigenvalues();
    this.sineBasis32 = DjlOps.toFloat(sineBasis);
    this.inverseEigenvalues32 = DjlOps.toFloat(inverseEigenvalues);
  }

  /** (−Δ_h)⁻¹ of each field of {@code interior} [N, n, n]. */
  public NDArray apply(NDArray interior) {
    int n = laplacian.interiorSize();
    long[] shape = interior.getShape().getShape();
    if (shape.length != 3 || shape[1] != n || shape[2] != n) {
      throw new IllegalArgumentException(
          "interior fields: expected [N, " + n + ", " + n + "], got " + interior.getShape());
    }
    NDManager manager = interior.getManager();
    Shape square = new Shape(n, n);
    NDArray q = constant(manager, sineBasis, sineBasis32, square, interior);
    NDArray inverse = constant(manager, inverseEigenvalues, inverseEigenvalues32, square, interior);
    NDArray spectral = q.matMul(interior).matMul(q).mul(inverse);
    return q.matMul(spectral).matMul(q);
  }

  private static NDArray constant(
      NDManager manager, double[] exact, float[] single, Shape shape, NDArray like) {
    return like.getDataType() == DataType.FLOAT64
        ? manager.create(exact, shape)
        : manager.create(single, shape).toType(like.getDataType(), false);
  }
}
