package io.basalt.session;

import io.basalt.proto.Envelope;

/**
 * Which meta calls may be sent again after an attempt whose outcome is unknown (it timed out, or its answer came
 * from a stale leader): the leader may have carried out the first one. Reads are safe; so are calls that answer
 * the same state when repeated (AllocateExtent returns the extent already at vid/index; ReportReplicas is a read;
 * re-registering a known cid updates the same record). Everything else (CreateVolume: ALREADY_EXISTS on the
 * second; a first RegisterChunk: a second cid; a lease grant: a second epoch bump) is surfaced to its caller, who
 * already treats TIMEOUT as "outcome unknown".
 */
final class ResendSafety {
  private ResendSafety() {}

  static boolean safe(Envelope.Builder request) {
    return switch (request.getBodyCase()) {
      case LIST_CHUNKS, GET_VOLUME, LIST_VOLUMES, GET_EXTENTS, GET_EXTENT, LIST_SESSIONS, CLUSTER_STATUS,
          LIST_RECOVERIES, META_INFO, REPORT_REPLICAS, ALLOCATE_EXTENT -> true;
      case REGISTER_CHUNK -> request.getRegisterChunk().getCid() != 0;
      default -> false;
    };
  }
}
