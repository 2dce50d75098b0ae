"""Explaining a run from its decision log: the battle's verdict and bottlenecks (:mod:`.battle`), the life of one
threat or track in sentences (:mod:`.story`), one name per target (:mod:`.names`), and the ``airpicture explain``
command (:mod:`.command`)."""
