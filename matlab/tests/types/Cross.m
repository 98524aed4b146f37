classdef Cross < scidb.BaseVariable
end
