package io.piddm.diffusion.edm;

import ai.djl.ndarray.NDArray;
import io.piddm.diffusion.djl.DjlOps;
import io.piddm.diffusion.net.OutputConstraint;
import io.piddm.diffusion.net.UNet;
import java.util.function.Function;

/**
 * EDM (Karras et al. 2022) preconditioning and training distribution, σ_data = 0.5:
 *
 * <pre>
 *   D(x; σ) = c_skip(σ) x + c_out(σ) F(c_in(σ) x, c_noise(σ))
 *   c_skip = σ_d² / (σ² + σ_d²),  c_out = σ σ_d / √(σ² + σ_d²),  c_in = 1 / √(σ² + σ_d²),
 *   c_noise = ln(σ) / 4;  training σ = exp(P_mean + P_std n), n ~ N(0,1), P_mean = −1.2, P_std = 1.2;
 *   loss weight λ(σ) = (σ² + σ_d²) / (σ σ_d)².
 * </pre>
 *
 * <p>D ends with the PDE's {@link OutputConstraint} (boundary values, coefficient range), in
 * training and sampling alike: D estimates a clean field, and clean fields satisfy them. Heun's
 * last step returns D itself, so every teacher sample satisfies the boundary conditions exactly, as
 * the student's do.
 */
public final class Edm {

  public static final double SIGMA_DATA = io.piddm.diffusion.net.Preconditioning.SIGMA_DATA;
  public static final double P_MEAN = -1.2;
  public static final double P_STD = 1.2;

  private final UNet net;
  private final OutputConstraint constraint;
  private final DjlOps ops = new DjlOps();

  public Edm(UNet net, OutputConstraint constraint) {
    this.net = net;
    this.constraint = constraint;
  }

  public UNet net() {
    return net;
  }

  /** D(x; σ) for x [N, C, S, S] and σ [N]. */
  public NDArray denoise(Function<String, NDArray> parameters, NDArray x, NDArray sigma) {
    double d2 = SIGMA_DATA * SIGMA_DATA;
    NDArray total = sigma.square().add(d2);
    NDArray cSkip = total.pow(-1).mul(d2);
    NDArray cOut = sigma.mul(SIGMA_DATA).div(total.sqrt());
    NDArray cIn = total.sqrt().pow(-1);
    NDArray cNoise = sigma.log().div(4);
    NDArray f = net.forward(ops, parameters, x.mul(perSample(cIn)), cNoise);
    return constraint.apply(ops, x.mul(perSample(cSkip)).add(f.mul(perSample(cOut))));
  }

  /** λ(σ) = (σ² + σ_d²) / (σ σ_d)². */
  public static NDArray lossWeight(NDArray sigma) {
    return sigma.square().add(SIGMA_DATA * SIGMA_DATA).div(sigma.mul(SIGMA_DATA).square());
  }

  /**
   * The EDM loss of a clean batch x0: mean over samples of λ(σ)·mean-over-pixels (D(x0 + σε; σ) −
   * x0)², with σ = exp(P_mean + P_std n).
   */
  public NDArray loss(
      Function<String, NDArray> parameters, NDArray x0, NDArray n, NDArray epsilon) {
    NDArray sigma = n.mul(P_STD).add(P_MEAN).exp();
    NDArray noisy = x0.add(epsilon.mul(perSample(sigma)));
    long n0 = x0.getShape().get(0);
    NDArray error =
        denoise(parameters, noisy, sigma).sub(x0).square().reshape(n0, -1).mean(new int[] {1});
    return error.mul(lossWeight(sigma)).mean();
  }

  private static NDArray perSample(NDArray v) {
    return v.reshape(-1, 1, 1, 1);
  }
}
