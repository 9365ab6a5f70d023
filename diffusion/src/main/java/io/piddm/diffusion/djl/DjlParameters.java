package io.piddm.diffusion.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.net.UNet;
import io.piddm.physics.random.Seeds;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A network's parameters as named NDArrays in one manager: created from a seed, copied (for EMA),
 * saved and loaded in DJL's NDList encoding, which round-trips bit for bit.
 */
public final class DjlParameters implements AutoCloseable {

  private final NDManager manager;
  private final Map<String, NDArray> arrays;

  private DjlParameters(NDManager manager, Map<String, NDArray> arrays) {
    this.manager = manager;
    this.arrays = arrays;
  }

  /** Fresh parameters for {@code net}, initialised deterministically from {@code seed}. */
  public static DjlParameters initialise(UNet net, NDManager parent, long seed) {
    NDManager manager = parent.newSubManager();
    Map<String, NDArray> arrays = new LinkedHashMap<>();
    int index = 0;
    for (Map.Entry<String, long[]> entry : net.shapes().entrySet()) {
      float[] values =
          UNet.initialValues(entry.getKey(), entry.getValue(), Seeds.stream(seed, 7, index++));
      arrays.put(entry.getKey(), manager.create(values, new Shape(entry.getValue())));
    }
    return new DjlParameters(manager, arrays);
  }

  public NDArray get(String name) {
    NDArray array = arrays.get(name);
    if (array == null) {
      throw new IllegalArgumentException("no parameter named " + name);
    }
    return array;
  }

  public Map<String, NDArray> arrays() {
    return arrays;
  }

  public DjlParameters copy(NDManager parent) {
    NDManager copyManager = parent.newSubManager();
    Map<String, NDArray> copies = new LinkedHashMap<>();
    arrays.forEach(
        (name, array) -> copies.put(name, array.duplicate().toType(array.getDataType(), false)));
    copies.values().forEach(a -> a.attach(copyManager));
    return new DjlParameters(copyManager, copies);
  }

  public void requireGradients(boolean required) {
    arrays.values().forEach(a -> a.setRequiresGradient(required));
  }

  public void save(OutputStream out) throws IOException {
    NDList list = new NDList();
    arrays.forEach(
        (name, array) -> {
          array.setName(name);
          list.add(array);
        });
    list.encode(out);
  }

  /** Loads parameters saved by {@link #save}; the names must match {@code net}'s. */
  public static DjlParameters load(UNet net, NDManager parent, InputStream in) throws IOException {
    NDManager manager = parent.newSubManager();
    NDList list = NDList.decode(manager, in);
    Map<String, NDArray> arrays = new LinkedHashMap<>();
    for (NDArray array : list) {
      arrays.put(array.getName(), array);
    }
    if (!arrays.keySet().equals(net.shapes().keySet())) {
      throw new IOException(
          "saved parameters do not match the network: "
              + arrays.keySet().size()
              + " saved, "
              + net.shapes().size()
              + " expected");
    }
    return new DjlParameters(manager, arrays);
  }

  @Override
  public void close() {
    manager.close();
  }
}
