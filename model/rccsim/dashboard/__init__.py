"""The dashboard: a local web app for commissioning teams (``rccsim dashboard``)."""
