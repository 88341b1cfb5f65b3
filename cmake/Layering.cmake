# The layering rule of docs/architecture.md, checked when the build is configured: the numeric
# libraries (core, dynamics, similarity, embedding) link no file format, no config parser and no
# stage of the study directory. rnnatlas_check_layering(TARGET...) fails the configuration when
# the link closure of a target reaches HDF5, toml++, MPI, rnnatlas::io, rnnatlas::sweep or
# rnnatlas::pipeline, and names the path that reaches it.

# Appends to `out` the libraries `target` links, directly or through other targets, each as
# "a -> b -> lib" so that an error can show how it was reached.
function(_rnnatlas_link_closure target path out)
  set(seen ${${out}})
  foreach(property LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "INTERFACE_LIBRARY" AND property STREQUAL "LINK_LIBRARIES")
      continue()
    endif()
    get_target_property(libraries ${target} ${property})
    if(NOT libraries)
      continue()
    endif()
    foreach(library ${libraries})
      # Entries CMake adds for links made from another directory, and $<LINK_ONLY:x> wrappers.
      if(library MATCHES "^::@")
        continue()
      endif()
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" library "${library}")
      if(library MATCHES "^\\$<")
        continue()  # no generator expressions other than LINK_ONLY are used in our links
      endif()
      if(TARGET ${library})
        get_target_property(aliased ${library} ALIASED_TARGET)
        if(aliased)
          set(library ${aliased})
        endif()
      endif()
      if("${library}" IN_LIST seen)
        continue()
      endif()
      list(APPEND seen ${library})
      set_property(GLOBAL APPEND PROPERTY _rnnatlas_link_paths "${path} -> ${library}")
      if(TARGET ${library})
        _rnnatlas_link_closure(${library} "${path} -> ${library}" seen)
      endif()
    endforeach()
  endforeach()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

function(rnnatlas_check_layering)
  set(forbidden "hdf5|tomlplusplus|MPI::|mpi|rnnatlas_io|rnnatlas_sweep|rnnatlas_pipeline|rnnatlas_h5_internal")
  foreach(target ${ARGN})
    set_property(GLOBAL PROPERTY _rnnatlas_link_paths "")
    set(seen "")
    _rnnatlas_link_closure(${target} ${target} seen)
    get_property(paths GLOBAL PROPERTY _rnnatlas_link_paths)
    foreach(path ${paths})
      string(REGEX REPLACE ".* -> " "" library "${path}")
      if(library MATCHES "${forbidden}")
        message(FATAL_ERROR "Layering: the numeric library ${target} links ${library} "
                            "(${path}). Numeric libraries link rnnatlas::core only "
                            "(docs/architecture.md): move the code that needs ${library} to "
                            "src/pipeline/ or another stage above it.")
      endif()
    endforeach()
  endforeach()
endfunction()
