// Reduced Firestore emulator for machines without the Cloud SDK.
// It lacks transaction isolation, atomic batches, cursors, collection-group
// queries and preconditions; tests needing those are skipped when it runs.
import { FirestoreServer } from "@firestore-emulator/server";
import { ServerCredentials } from "@grpc/grpc-js";

const port = Number(process.argv[2] ?? "8081");
const emulator = new FirestoreServer();
// Bind loopback only (the package's own start() binds every interface).
emulator.server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, bound) => {
  if (err) {
    console.error(`cannot listen on 127.0.0.1:${port}: ${err.message}`);
    process.exit(1);
  }
  console.log(`Firestore (reduced) listening on 127.0.0.1:${bound}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    emulator.stop();
    process.exit(0);
  });
}
