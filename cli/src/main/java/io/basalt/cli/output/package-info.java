/**
 * How the CLI prints: aligned tables and key/value lines ({@code TablePrinter}), human durations
 * ({@code DurationFormat}), and JSON through Jackson ({@code JsonOutput} for {@code --json} and the state file,
 * {@code JsonReader} to read it back). Pure functions of their input.
 *
 * <p>Threads: any; every class here is stateless (or immutable once built) and thread-safe.
 *
 * <p>May import common and Jackson; no other cli package (every one of them prints through this one).
 */
package io.basalt.cli.output;
