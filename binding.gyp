{
  "targets": [
    {
      "target_name": "circus_native",
      "sources": ["native/module.c", "native/spawn.c", "native/spawn-slots.c", "native/spawn-plan.c", "native/sockets.c", "native/readable.c", "native/socket-hits.c", "native/unix-dgram.c", "native/lines.c", "native/subreaper.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
