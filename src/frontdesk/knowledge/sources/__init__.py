"""Where knowledge comes from besides pasted text: websites (``website``) and files (``files``)."""
