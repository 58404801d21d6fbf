"""pyarrow: a table, compute kernels, Parquet and IPC round trips in memory (pyarrow imports
pydoc, and loads its bundled libarrow libraries).

The Parquet round trip goes through pyarrow's own buffers, not io.BytesIO: pyarrow 26 reading a
Python file object on its thread pool aborts at interpreter exit ("terminate called without an
active exception") most runs under plain python too, so that path cannot be compared.
"""

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

table = pa.table({"name": ["Äpfel", "Birnen", "Möhren"], "n": [3, 1, 2]})
print(table.schema)
print("sum", pc.sum(table["n"]).as_py(), "sorted", table.sort_by("n")["name"].to_pylist())
buffer = pa.BufferOutputStream()
pq.write_table(table, buffer)
back = pq.read_table(pa.BufferReader(buffer.getvalue()))
print("parquet", back.equals(table), back.num_rows)
sink = pa.BufferOutputStream()
with pa.ipc.new_stream(sink, table.schema) as writer:
    writer.write_table(table)
print("ipc", pa.ipc.open_stream(sink.getvalue()).read_all().to_pydict())
