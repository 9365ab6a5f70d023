package io.piddm.api.sampler;

/**
 * The answer to Generate: {@code fields[i]} is field i (C × H × W, physical units), {@code
 * pdeError[i]} its PDE error as the sampler reports it (mean R² under the model's residual spec),
 * {@code relativePdeError[i]} ‖R‖/‖f‖ computed here under the same spec (NaN when the PDE is not
 * known), {@code solutionConsistency[i]} the relative L2 of its u to the project's solver's
 * solution for its a (NaN where the PDE is not an elliptic boundary value problem), the network
 * evaluations per field, and the latency on the server and round trip.
 */
public record Generated(
    ServedModel model,
    long seed,
    float[][] fields,
    double[] pdeError,
    double[] relativePdeError,
    double[] solutionConsistency,
    int networkEvaluations,
    double serverMillis,
    double roundTripMillis) {

  public int count() {
    return fields.length;
  }

  /** Every field in one N × C × H × W array. */
  public float[] flat() {
    return FieldLayout.stack(fields);
  }

  /** [N, C, H, W]. */
  public int[] shape() {
    return new int[] {fields.length, model.channelCount(), model.height(), model.width()};
  }
}
