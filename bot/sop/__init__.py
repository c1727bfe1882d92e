"""The SOP: its table as data (``model``), the transitions applied to the store
(``transition``, ``workflow``), the diagnosis runs (``diagnosis``) and what
handlers may read (``queries``)."""
