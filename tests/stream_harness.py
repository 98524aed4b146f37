"""Plays SciDB's side of the ``stream()`` operator (stream plugin 19.11)
against a child command over pipes, byte for byte, with deadlines on every
read and write, so a misbehaving child fails a test instead of hanging it.

What SciDB sends, per chunk:

- Arrow (``format:'feather'``): an 8-byte little-endian byte count, then
  an Arrow IPC stream (schema, one record batch, end-of-stream marker);
  a count of 0 ends the exchange.
- TSV (the default): ``N\\n`` and N lines of tab-separated cells (``\\N``
  for null, ``\\\\ \\n \\t \\r`` escaped); ``0\\n`` ends the exchange.

After each message the child must answer in the same framing (0 / ``0\\n``
for an empty answer), and it answers the end of the exchange once more.
Answers are checked as strictly as SciDB checks them: an Arrow answer must
hold exactly one record batch and nothing after its end-of-stream marker.

Used by tests/stream/ and bench/stream.py; also runnable by hand::

    python tests/stream_harness.py --rows 1000 --chunks 3 -- python3 child.py
"""

import argparse
import fcntl
import os
import select
import struct
import subprocess
import sys
import threading
import time

END_ARROW = b"\0" * 8
END_TSV = b"0\n"


class ProtocolError(Exception):
    """The child broke the protocol (bad framing, early exit, a timeout)."""

    def __init__(self, message, stderr=b""):
        text = message
        if stderr:
            text += "\n--- child stderr ---\n" + stderr.decode("utf-8", "replace")[-4000:]
        super().__init__(text)
        self.stderr = stderr


def arrow_message(batch):
    """The bytes SciDB sends for one chunk in the Arrow format."""
    import pyarrow as pa

    if isinstance(batch, pa.Table):
        batches = batch.to_batches()
        if len(batches) != 1:
            batch = batch.combine_chunks().to_batches()[0]
        else:
            batch = batches[0]
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    body = sink.getvalue().to_pybytes()
    return struct.pack("<Q", len(body)) + body


def _tsv_cell(cell):
    if cell is None:
        return "\\N"
    if isinstance(cell, float) and cell != cell:
        return "nan"
    text = str(cell)
    return (
        text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    )


def tsv_message(rows):
    """The bytes SciDB sends for one chunk in the TSV format (rows of cells)."""
    lines = ["\t".join(_tsv_cell(c) for c in row) for row in rows]
    return (f"{len(rows)}\n" + "".join(line + "\n" for line in lines)).encode("utf-8")


def decode_arrow_answer(body, what):
    """An Arrow answer's one record batch; anything else is a ProtocolError."""
    import pyarrow as pa

    source = pa.BufferReader(body)
    try:
        reader = pa.ipc.open_stream(source)
        batches = list(reader)
    except pa.ArrowInvalid as e:
        raise ProtocolError(f"{what} is not a valid Arrow IPC stream: {e}") from None
    if len(batches) != 1:
        raise ProtocolError(f"{what} holds {len(batches)} record batches; SciDB expects one")
    if source.tell() != len(body):
        raise ProtocolError(f"{what} has {len(body) - source.tell()} bytes after its end")
    return batches[0]


class Child:
    """A child process on pipes; every transfer has a deadline."""

    def __init__(self, argv, timeout=60, env=None):
        self.timeout = timeout
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        # Larger pipes only cut system calls; the bytes are the same.
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
            except (AttributeError, OSError):
                pass
        os.set_blocking(self.proc.stdin.fileno(), False)
        self.cpu_seconds = None
        self._stderr = bytearray()
        self._stderr_thread = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stderr_thread.start()
        self._deadline = time.monotonic() + timeout

    def _drain_stderr(self):
        for block in iter(lambda: self.proc.stderr.read1(1 << 16), b""):
            self._stderr.extend(block)

    @property
    def stderr(self):
        return bytes(self._stderr)

    def _left(self, what):
        left = self._deadline - time.monotonic()
        if left <= 0:
            self.kill()
            raise ProtocolError(f"timed out after {self.timeout} s waiting for {what}", self.stderr)
        return left

    def send(self, data, what="a message"):
        """Writes all of `data`; a child that stops reading times out."""
        fd = self.proc.stdin.fileno()
        view = memoryview(data)
        while view:
            _, ready, _ = select.select([], [fd], [], self._left(f"the child to read {what}"))
            if not ready:
                continue
            try:
                n = os.write(fd, view[: 1 << 20])
            except BrokenPipeError:
                raise ProtocolError(f"the child exited while SciDB sent {what}", self._wait_stderr())
            except BlockingIOError:
                continue
            view = view[n:]

    def recv_exact(self, n, what):
        fd = self.proc.stdout.fileno()
        out = bytearray()
        while len(out) < n:
            ready, _, _ = select.select([fd], [], [], self._left(what))
            if not ready:
                continue
            block = os.read(fd, min(n - len(out), 1 << 20))
            if not block:
                raise ProtocolError(
                    f"the child closed stdout after {len(out)} of {n} bytes of {what}",
                    self._wait_stderr(),
                )
            out.extend(block)
        return bytes(out)

    def recv_line(self, what):
        line = bytearray()
        while not line.endswith(b"\n"):
            line.extend(self.recv_exact(1, what))
        return bytes(line)

    def answer_arrow(self, what, decode=True):
        """One Arrow answer: a record batch, None when empty, or the raw
        body when ``decode`` is false."""
        size = struct.unpack("<Q", self.recv_exact(8, f"the length of {what}"))[0]
        if size == 0:
            return None
        body = self.recv_exact(size, what)
        return decode_arrow_answer(body, what) if decode else body

    def answer_tsv(self, what):
        """One TSV answer as a list of lines (without newlines); [] when empty."""
        head = self.recv_line(f"the line count of {what}")
        try:
            count = int(head.decode("ascii").strip("\n"))
        except ValueError:
            raise ProtocolError(f"{what} starts with {head!r}, not a line count", self.stderr)
        return [self.recv_line(what)[:-1].decode("utf-8") for _ in range(count)]

    def _wait_stderr(self):
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
        self._stderr_thread.join(timeout=5)
        return self.stderr

    def close(self):
        """Closes stdin and waits for the exit; returns the exit status and
        records the child's CPU time (``cpu_seconds``)."""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        while True:
            pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                break
            if self._deadline <= time.monotonic():
                self.kill()
                raise ProtocolError("the child did not exit after the exchange", self.stderr)
            time.sleep(0.005)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.cpu_seconds = usage.ru_utime + usage.ru_stime
        self._stderr_thread.join(timeout=5)
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Exchange:
    """The outcome of a whole exchange."""

    def __init__(self, answers, final, returncode, stderr, cpu_seconds):
        self.answers = answers
        self.final = final
        self.returncode = returncode
        self.stderr = stderr
        #: The child's CPU time (user and system), its own cost of the exchange.
        self.cpu_seconds = cpu_seconds


def run(argv, messages, fmt="arrow", timeout=60, env=None, decode=True):
    """Sends each message, reads each answer, ends the exchange, reads the
    final answer and waits for the child to exit. Raises ProtocolError on
    any deviation, including a non-zero exit."""
    child = Child(argv, timeout=timeout, env=env)
    try:
        answers = []
        read = (
            (lambda what: child.answer_arrow(what, decode))
            if fmt == "arrow"
            else child.answer_tsv
        )
        for i, message in enumerate(messages, 1):
            child.send(message, f"chunk {i}")
            answers.append(read(f"the answer to chunk {i}"))
        child.send(END_ARROW if fmt == "arrow" else END_TSV, "the end of the stream")
        final = read("the final answer")
        code = child.close()
    except BaseException:
        child.kill()
        raise
    if code != 0:
        raise ProtocolError(f"the child exited with status {code}", child.stderr)
    return Exchange(answers, final, code, child.stderr, child.cpu_seconds)


def run_raw(argv, data, timeout=30, env=None):
    """Sends `data` as is, closes stdin, and returns (exit status, stdout,
    stderr); for malformed input, where the child must fail fast."""
    child = Child(argv, timeout=timeout, env=env)
    out = bytearray()
    try:
        try:
            child.send(data, "the input")
        except ProtocolError:
            pass  # the child may rightly exit before reading everything
        try:
            child.proc.stdin.close()
        except BrokenPipeError:
            pass
        fd = child.proc.stdout.fileno()
        while True:
            ready, _, _ = select.select([fd], [], [], child._left("the child to exit"))
            if ready:
                block = os.read(fd, 1 << 16)
                if not block:
                    break
                out.extend(block)
        code = child.proc.wait(timeout=child._left("the child to exit"))
        child._stderr_thread.join(timeout=5)
    except BaseException:
        child.kill()
        raise
    return code, bytes(out), child.stderr


def _main():
    import numpy as np
    import pyarrow as pa

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1000)
    p.add_argument("--chunks", type=int, default=3)
    p.add_argument("command", nargs="+")
    args = p.parse_args()
    batch = pa.record_batch({"x": pa.array(np.arange(args.rows, dtype=np.float64))})
    result = run(args.command, [arrow_message(batch)] * args.chunks)
    for i, a in enumerate(result.answers, 1):
        print(f"answer {i}: {None if a is None else a.num_rows} rows")
    print(f"final: {result.final}")


if __name__ == "__main__":
    sys.exit(_main())
