package io.basalt.cli;

import io.basalt.cli.core.ClusterConnection;
import io.basalt.cli.core.Converters;
import io.basalt.cli.core.GroupCommand;
import io.basalt.cli.output.TablePrinter;
import io.basalt.common.Units;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.DeleteVolumeRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.GetVolumeRequest;
import io.basalt.proto.ListVolumesRequest;
import io.basalt.proto.ResizeVolumeRequest;
import io.basalt.proto.VolumeInfo;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code basalt volume create|ls|show|rm|resize}: volume administration through the meta leader. */
@Command(name = "volume", description = "Create, list, show, resize and delete volumes.",
    subcommands = {VolumeCommand.Create.class, VolumeCommand.Ls.class, VolumeCommand.Show.class,
        VolumeCommand.Rm.class, VolumeCommand.Resize.class})
public final class VolumeCommand extends GroupCommand {
  static final long DEFAULT_EXTENT_SIZE = 256L << 20;

  @Command(name = "create", description = "Create a volume (thin: space is allocated on first write).")
  static final class Create extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "volume name")
    String name;

    @Option(names = "--size", required = true, paramLabel = "SIZE", converter = Converters.Size.class,
        description = "size, e.g. 10G, 512M")
    long size;

    @Option(names = "--replicas", defaultValue = "3", paramLabel = "N",
        description = "replica count, 1-3 (default: ${DEFAULT-VALUE})")
    int replicas;

    @Option(names = "--extent-size", defaultValue = "256M", paramLabel = "SIZE", converter = Converters.Size.class,
        description = "extent size, a power of two, at least 1M (default: ${DEFAULT-VALUE})")
    long extentSize;

    @Override
    protected void validate() {
      checkName(this, name);
      if (size <= 0) {
        throw usage("--size must be positive");
      }
      if (replicas < 1 || replicas > 3) {
        throw usage("--replicas must be 1, 2 or 3, not " + replicas);
      }
      if (extentSize < (1L << 20) || Long.bitCount(extentSize) != 1) {
        throw usage("--extent-size must be a power of two of at least 1M, not " + extentSize);
      }
    }

    @Override
    protected void run(ClusterConnection c) {
      Envelope r = c.meta(Envelope.newBuilder().setCreateVolume(CreateVolumeRequest.newBuilder()
          .setName(name).setSizeBytes(size).setReplicas(replicas).setExtentSize(extentSize)));
      printVolume(this, r.hasVolumeResponse() ? r.getVolumeResponse().getVolume() : get(c, name));
    }
  }

  @Command(name = "ls", description = "List volumes.")
  static final class Ls extends ClusterCommand {
    @Override
    protected void run(ClusterConnection c) {
      List<VolumeInfo> volumes = c.meta(Envelope.newBuilder().setListVolumes(ListVolumesRequest.getDefaultInstance()))
          .getListVolumesResponse().getVolumesList().stream()
          .sorted(Comparator.comparing(VolumeInfo::getName))
          .toList();
      if (json) {
        printJson(volumes.stream().map(VolumeCommand::toJson).toList());
        return;
      }
      TablePrinter t = new TablePrinter("NAME", "VID", "SIZE", "REPLICAS", "EXTENT_SIZE", "ALLOCATED", "CREATED");
      for (VolumeInfo v : volumes) {
        t.row(v.getName(), v.getVid(), Units.formatSize(v.getSizeBytes()), v.getReplicas(),
            Units.formatSize(v.getExtentSize()), v.getAllocatedExtents() + "/" + extentCount(v), created(v));
      }
      t.print(out());
    }
  }

  @Command(name = "show", description = "Show one volume.")
  static final class Show extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    protected void run(ClusterConnection c) {
      printVolume(this, get(c, name));
    }
  }

  @Command(name = "rm", description = "Delete a volume and all its data.")
  static final class Rm extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    protected void run(ClusterConnection c) {
      c.meta(Envelope.newBuilder().setDeleteVolume(DeleteVolumeRequest.newBuilder().setName(name)));
      if (json) {
        printJson(Map.of("deleted", name));
      } else {
        out().println("deleted volume " + name);
        out().flush();
      }
    }
  }

  @Command(name = "resize", description = "Grow a volume (online; never shrinks).")
  static final class Resize extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(names = "--size", required = true, paramLabel = "SIZE", converter = Converters.Size.class,
        description = "new size, e.g. 20G")
    long size;

    @Override
    protected void validate() {
      if (size <= 0) {
        throw usage("--size must be positive");
      }
    }

    @Override
    protected void run(ClusterConnection c) {
      Envelope r = c.meta(Envelope.newBuilder().setResizeVolume(ResizeVolumeRequest.newBuilder()
          .setName(name).setSizeBytes(size)));
      printVolume(this, r.hasVolumeResponse() ? r.getVolumeResponse().getVolume() : get(c, name));
    }
  }

  static VolumeInfo get(ClusterConnection c, String name) {
    return c.meta(Envelope.newBuilder().setGetVolume(GetVolumeRequest.newBuilder().setName(name)))
        .getVolumeResponse().getVolume();
  }

  static void checkName(ClusterCommand cmd, String name) {
    if (name.isBlank() || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
      throw cmd.usage("bad volume name '" + name + "': use letters, digits, '.', '_' and '-' (at most 128, "
          + "starting with a letter or digit)");
    }
  }

  static void printVolume(ClusterCommand cmd, VolumeInfo v) {
    if (cmd.json) {
      cmd.printJson(toJson(v));
      return;
    }
    Map<String, Object> kv = new LinkedHashMap<>();
    kv.put("name", v.getName());
    kv.put("vid", v.getVid());
    kv.put("size", Units.formatSize(v.getSizeBytes()) + " (" + v.getSizeBytes() + " bytes)");
    kv.put("replicas", v.getReplicas());
    kv.put("extent size", Units.formatSize(v.getExtentSize()));
    kv.put("extents", extentCount(v) + " (" + v.getAllocatedExtents() + " allocated)");
    kv.put("created", created(v));
    cmd.out().print(TablePrinter.renderKeyValues(kv));
    cmd.out().flush();
  }

  static Map<String, Object> toJson(VolumeInfo v) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("vid", v.getVid());
    m.put("name", v.getName());
    m.put("size_bytes", v.getSizeBytes());
    m.put("replicas", v.getReplicas());
    m.put("extent_size", v.getExtentSize());
    m.put("extent_count", extentCount(v));
    m.put("allocated_extents", v.getAllocatedExtents());
    m.put("created_ms", v.getCreatedMs());
    return m;
  }

  private static long extentCount(VolumeInfo v) {
    return v.getExtentSize() == 0 ? 0 : (v.getSizeBytes() + v.getExtentSize() - 1) / v.getExtentSize();
  }

  private static String created(VolumeInfo v) {
    return v.getCreatedMs() == 0 ? null : Instant.ofEpochMilli(v.getCreatedMs()).toString();
  }
}
