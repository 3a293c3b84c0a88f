"""Domain logic: plain, typed Python with no AWS imports."""
