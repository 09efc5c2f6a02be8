/**
 * Relays the lines a process appends to a log file, as `tail -f` would: polled, because a file written by another
 * process gives `fs.watch` no reliable event on every platform. A line still being written waits for its newline;
 * `stop()` reads what is left, the last unfinished line included.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const POLL_MS = 250;
const CHUNK_BYTES = 64 * 1024;

export interface LogFollower {
  stop(): void;
}

export function followLog(file: string, onLine: (line: string) => void): LogFollower {
  const fd = openSync(file, 'r');
  const buffer = Buffer.alloc(CHUNK_BYTES);
  let position = 0;
  let pending = '';
  // A character split across two reads is held back until its last byte arrives.
  const decoder = new StringDecoder('utf8');
  let open = true;

  const emit = (text: string) => {
    for (const line of text.split('\n')) if (line.trim()) onLine(line);
  };
  const drain = () => {
    for (;;) {
      const read = readSync(fd, buffer, 0, CHUNK_BYTES, position);
      if (read === 0) return;
      position += read;
      const text = pending + decoder.write(buffer.subarray(0, read));
      const end = text.lastIndexOf('\n');
      pending = text.slice(end + 1);
      if (end >= 0) emit(text.slice(0, end));
    }
  };
  const timer = setInterval(drain, POLL_MS);
  timer.unref();

  return {
    stop() {
      if (!open) return;
      open = false;
      clearInterval(timer);
      drain();
      emit(pending + decoder.end());
      closeSync(fd);
    },
  };
}
